package scenariotest_test

import (
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
	"github.com/weakscope/weakscope/scenario/scenariotest"
)

func TestMain(m *testing.M) { scenariotest.Main(m) }

type blob struct {
	_    *blob
	body []byte
}

// hoarder is a cache that keeps every blob, and extra keeps a second
// reference to each, for a regression to inject.
type hoarder struct {
	mu    sync.Mutex
	m     map[int]*blob
	extra []*blob
	keep  bool
}

func (h *hoarder) Put(k int, v *blob) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[k] = v
	if h.keep {
		h.extra = append(h.extra, v)
	}
}
func (h *hoarder) Get(k int) (*blob, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.m[k]
	return v, ok
}
func (h *hoarder) Len() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.m) }

// weakPlus is a weak-value map that also keeps a strong reference to
// everything, when leak is set: the regression a baseline must catch.
type weakPlus struct {
	*cache.WeakValues[int, blob]
	mu     sync.Mutex
	recent []*blob
	leak   bool
}

func (w *weakPlus) Put(k int, v *blob) {
	w.WeakValues.Put(k, v)
	if w.leak {
		w.mu.Lock()
		w.recent = append(w.recent, v)
		w.mu.Unlock()
	}
}

var leakWeak bool // read by the weak variant's New, in this process

func blobs(name string) *scenario.Scenario {
	value := func(i int, p scenario.Params) *blob { return &blob{body: make([]byte, p.Size)} }
	key := func(i int) int { return i }
	return &scenario.Scenario{
		Name:     name,
		Defaults: scenario.Params{Objects: 2000, Size: 512},
		Variants: []scenario.Variant{
			scenario.Map[int, blob]{Name: "strong", Key: key, Value: value, New: func(scenario.Params) scenario.MapHolder[int, blob] {
				return &hoarder{m: map[int]*blob{}}
			}}.Store(),
			scenario.Map[int, blob]{Name: "weak", Key: key, Value: value, New: func(scenario.Params) scenario.MapHolder[int, blob] {
				return &weakPlus{WeakValues: cache.NewWeakValues[int, blob](), leak: leakWeak}
			}}.Store(),
		},
		Expectations: []scenario.Expectation{
			{Text: "strong keeps every blob", Check: scenario.Equals("strong", report.Entries, scenario.ObjectCount)},
			{Text: "weak keeps no entry", Check: scenario.Equals("weak", report.Entries, scenario.Const(0))},
		},
	}
}

func init() { scenario.Register(blobs("scenariotest-blobs")) }

// recorder is a testing.TB that records what Run reports.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	logs   []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprint(args...))
}
func (r *recorder) Logf(format string, args ...any) { r.Log(fmt.Sprintf(format, args...)) }

// record runs f with a recorder in a goroutine of its own, so that a Fatal
// ends only that goroutine.
func record(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func (r *recorder) log() string { return strings.Join(r.logs, "\n") }

func TestRunPasses(t *testing.T) {
	sc, _ := scenario.Lookup("scenariotest-blobs")
	res := scenariotest.Run(t, sc)
	if len(res.Variants) != 2 || res.Variants[0].Metrics[report.Entries] != 2000 {
		t.Errorf("result %+v", res.Variants)
	}
}

// The variants ran in child processes: this test binary serves workers.
func TestRunIsolates(t *testing.T) {
	sc, _ := scenario.Lookup("scenariotest-blobs")
	leakWeak = true // seen by this process only, not by the workers
	defer func() { leakWeak = false }()
	res := scenariotest.Run(t, sc)
	if got := res.Variants[1].Metrics[report.RetainedObjects]; got > 500 {
		t.Errorf("weak retained %v objects: it ran in this process, not in a worker", got)
	}
}

func TestRunFailsOnExpectation(t *testing.T) {
	sc := blobs("scenariotest-failing") // not registered: runs in this process
	sc.Expectations = append(sc.Expectations, scenario.Expectation{
		Text: "weak retains no more than 1 KiB", Check: scenario.AtMost("weak", report.RetainedBytes, scenario.Const(1024)),
	})
	leakWeak = true
	defer func() { leakWeak = false }()
	r := record(t, func(tb testing.TB) { scenariotest.Run(tb, sc) })
	// The leak keeps every entry too.
	if len(r.errors) != 2 || !strings.Contains(r.errors[0], "expectation failed: weak keeps no entry (weak entries = 2000, want 0)") ||
		!strings.Contains(r.errors[1], "expectation failed: weak retains no more than 1 KiB (weak retained_bytes = ") {
		t.Errorf("errors %q", r.errors)
	}
	if log := r.log(); !strings.Contains(log, "scenariotest-failing/weak") || !strings.Contains(log, "FAIL scenariotest-failing: weak retains") ||
		!strings.Contains(log, "why scenariotest-failing/weak is retained: stack ") {
		t.Errorf("log lacks the table, the verdict or the retention paths:\n%s", log)
	}
}

func TestBaseline(t *testing.T) {
	file := filepath.Join(t.TempDir(), "retention.json")
	sc := blobs("scenariotest-baseline")
	with := scenariotest.WithBaseline(file)

	r := record(t, func(tb testing.TB) { scenariotest.Run(tb, sc, with, scenariotest.WithRepeat(2)) })
	if !r.fatal || !strings.Contains(r.errors[0], "no baseline") || !strings.Contains(r.errors[0], "-weakscope.update") {
		t.Fatalf("without a baseline file: %q", r.errors)
	}

	// Record it (as -weakscope.update does), then judge a run against it.
	if err := scenariotestUpdate(t, sc, file); err != nil {
		t.Fatal(err)
	}
	r = record(t, func(tb testing.TB) { scenariotest.Run(tb, sc, with, scenariotest.WithRepeat(2)) })
	if len(r.errors) != 0 {
		t.Fatalf("the same code against its own baseline: %q", r.errors)
	}
	if !strings.Contains(r.log(), "PASS: ") {
		t.Errorf("no verdict in the log:\n%s", r.log())
	}

	// The weak variant now also keeps every value: retention regressed.
	leakWeak = true
	defer func() { leakWeak = false }()
	sc.Expectations = nil // the regression alone must fail the test
	r = record(t, func(tb testing.TB) { scenariotest.Run(tb, sc, with, scenariotest.WithRepeat(2)) })
	var regressed []string
	for _, e := range r.errors {
		if strings.Contains(e, "scenariotest-baseline/weak retained_bytes regressed") || strings.Contains(e, "scenariotest-baseline/weak retained_objects regressed") {
			regressed = append(regressed, e)
		}
	}
	if len(regressed) != 2 {
		t.Errorf("want weak's retained bytes and objects to regress, got %q", r.errors)
	}

	// A scenario the baseline does not hold.
	leakWeak = false
	other := blobs("scenariotest-not-in-baseline")
	r = record(t, func(tb testing.TB) { scenariotest.Run(tb, other, with) })
	if !r.fatal || !strings.Contains(r.errors[0], "has no scenario scenariotest-not-in-baseline") {
		t.Errorf("a scenario missing from the baseline: %q", r.errors)
	}
}

// scenariotestUpdate runs sc with -weakscope.update into file.
func scenariotestUpdate(t *testing.T, sc *scenario.Scenario, file string) error {
	if err := flag.Set("weakscope.update", "true"); err != nil {
		return err
	}
	defer flag.Set("weakscope.update", "false")
	r := record(t, func(tb testing.TB) {
		scenariotest.Run(tb, sc, scenariotest.WithBaseline(file), scenariotest.WithRepeat(2))
	})
	if len(r.errors) > 0 {
		return fmt.Errorf("update: %q", r.errors)
	}
	if !strings.Contains(r.log(), "wrote scenariotest-baseline to the baseline") {
		return fmt.Errorf("update log:\n%s", r.log())
	}
	return nil
}
