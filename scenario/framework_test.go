package scenario_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
)

// item is the tests' payload, with a pointer field so that it is never
// tiny-allocated.
type item struct {
	_    *item
	body []byte
}

func newItem(_ int, p scenario.Params) *item { return &item{body: make([]byte, p.Size)} }
func intKey(i int) int                       { return i }

// leaky is a user's cache that forgets to delete: a mutex and a map.
type leaky struct {
	mu sync.Mutex
	m  map[int]*item
}

func newLeaky(scenario.Params) scenario.MapHolder[int, item] { return &leaky{m: map[int]*item{}} }

func (c *leaky) Put(k int, v *item) { c.mu.Lock(); c.m[k] = v; c.mu.Unlock() }
func (c *leaky) Get(k int) (*item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}
func (c *leaky) Len() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.m) }

func weakValues(scenario.Params) scenario.MapHolder[int, item] {
	return cache.NewWeakValues[int, item]()
}

func inProcess() scenario.Options {
	opts := scenario.DefaultOptions()
	opts.Isolate = scenario.IsolateNone
	return opts
}

// run runs sc in this process and returns its variants by name.
func run(t *testing.T, sc *scenario.Scenario, opts scenario.Options) (report.ScenarioResult, map[string]report.VariantResult) {
	t.Helper()
	res, err := scenario.Run(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]report.VariantResult{}
	for _, v := range res.Variants {
		byName[v.Variant] = v
	}
	return res, byName
}

// registerOnce registers sc unless a test run before (-count) did.
func registerOnce(sc *scenario.Scenario) {
	if _, err := scenario.Lookup(sc.Name); err != nil {
		scenario.Register(sc)
	}
}

func TestRegisterRejectsMistakes(t *testing.T) {
	ok := scenario.Variant{Name: "v", New: func(scenario.Params) scenario.Subject { return nil }}
	registerOnce(&scenario.Scenario{Name: "register-test-taken", Variants: []scenario.Variant{ok}})
	for _, tc := range []struct {
		sc   *scenario.Scenario
		want string
	}{
		{&scenario.Scenario{Variants: []scenario.Variant{ok}}, `scenario name ""`},
		{&scenario.Scenario{Name: "has space", Variants: []scenario.Variant{ok}}, `"has space"`},
		{&scenario.Scenario{Name: "no-variants"}, `"no-variants" has no variants`},
		{&scenario.Scenario{Name: "no-new", Variants: []scenario.Variant{{Name: "v"}}}, `"no-new": variant "v" has no New`},
		{&scenario.Scenario{Name: "unnamed-variant", Variants: []scenario.Variant{{New: ok.New}}}, `"unnamed-variant": variant 0 has name ""`},
		{&scenario.Scenario{Name: "twice-variant", Variants: []scenario.Variant{ok, ok}}, `"twice-variant": variant "v" declared twice`},
		{&scenario.Scenario{Name: "no-check", Variants: []scenario.Variant{ok}, Expectations: []scenario.Expectation{{Text: "t"}}}, `"no-check": expectation 0 ("t") has no Check`},
		{&scenario.Scenario{Name: "register-test-taken", Variants: []scenario.Variant{ok}}, `"register-test-taken" registered twice`},
	} {
		got := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			scenario.Register(tc.sc)
			return "no panic"
		}()
		if !strings.HasPrefix(got, "scenario.Register: ") || !strings.Contains(got, tc.want) {
			t.Errorf("Register(%q): panic %q, want one containing %q", tc.sc.Name, got, tc.want)
		}
	}
}

func TestAllAndLookup(t *testing.T) {
	v := scenario.Variant{Name: "v", New: func(scenario.Params) scenario.Subject { return nil }}
	names := []string{"order-test-zeta", "order-test-alpha", "order-test-mid"}
	for _, n := range names {
		registerOnce(&scenario.Scenario{Name: n, Variants: []scenario.Variant{v}})
	}
	var got []string
	for _, s := range scenario.All() {
		if strings.HasPrefix(s.Name, "order-test-") {
			got = append(got, s.Name)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("All() lists %v, want registration order %v", got, names)
	}
	for _, tc := range []struct{ name, suggestion string }{
		{"order-test-alhpa", "order-test-alpha"}, // two letters exchanged
		{"order-test-mi", "order-test-mid"},
		{"something-else-entirely", ""},
	} {
		_, err := scenario.Lookup(tc.name)
		var ue *scenario.UnknownError
		if !errors.As(err, &ue) || ue.Suggestion != tc.suggestion || !strings.Contains(err.Error(), "order-test-zeta") {
			t.Errorf("Lookup(%q) = %v, want an UnknownError suggesting %q and listing the names", tc.name, err, tc.suggestion)
		}
		if tc.suggestion != "" && !strings.Contains(err.Error(), fmt.Sprintf("did you mean %q?", tc.suggestion)) {
			t.Errorf("Lookup(%q): %v lacks the suggestion", tc.name, err)
		}
	}
}

func TestChecks(t *testing.T) {
	m := scenario.Measured{
		"strong": {report.Entries: 100, report.RetainedBytes: 1 << 20},
		"weak":   {report.Entries: 0, report.RetainedBytes: 4096},
	}
	p := scenario.Params{Objects: 100, Keep: 0.25}
	for _, tc := range []struct {
		name   string
		check  scenario.Check
		pass   bool
		detail string
	}{
		{"equals", scenario.Equals("strong", report.Entries, scenario.ObjectCount), true, "strong entries = 100, want 100"},
		{"equals fails", scenario.Equals("weak", report.Entries, scenario.KeptCount), false, "weak entries = 0, want 25"},
		{"at most", scenario.AtMost("weak", report.RetainedBytes, scenario.Const(64<<10)), true, "weak retained_bytes = 4.0 KiB, limit 64.0 KiB"},
		{"at most fails", scenario.AtMost("strong", report.RetainedBytes, scenario.Const(64<<10)), false, "limit 64.0 KiB"},
		{"at least", scenario.AtLeast("strong", report.Entries, scenario.DroppedCount), true, "floor 75"},
		{"at least fails", scenario.AtLeast("weak", report.Entries, scenario.DroppedCount.Scaled(0.5).Plus(1)), false, "floor 38.5"},
		{"less", scenario.Less("weak", "strong", report.RetainedBytes), true, "weak retained_bytes = 4.0 KiB, strong retained_bytes = 1.0 MiB"},
		{"less fails on equal", scenario.Less("weak", "weak", report.Entries), false, ""},
		{"at least as", scenario.AtLeastAs("strong", "weak", report.Entries), true, ""},
		{"not measured", scenario.Equals("weak", "hit_ratio", scenario.Const(0)), false, "not measured"},
		{"no such variant", scenario.AtMost("nosuch", report.Entries, scenario.Const(math.Inf(1))), false, "not measured"},
		{"all of", scenario.AllOf(scenario.Equals("weak", report.Entries, scenario.Const(0)), scenario.Less("weak", "strong", report.Entries)), true, "; "},
		{"all of fails", scenario.AllOf(scenario.Equals("weak", report.Entries, scenario.Const(0)), scenario.Less("strong", "weak", report.Entries)), false, ""},
	} {
		pass, detail := tc.check(m, p)
		if pass != tc.pass || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: %v %q, want %v and a detail containing %q", tc.name, pass, detail, tc.pass, tc.detail)
		}
	}
}

// A user's holder runs through the same protocols as the framework's own
// holders, side by side.
func TestMapProtocols(t *testing.T) {
	sc := &scenario.Scenario{
		Name:     "map-protocols-test",
		Defaults: scenario.Params{Objects: 2000, Size: 256, Keep: 0.25},
		Variants: []scenario.Variant{
			scenario.Map[int, item]{Name: "leaky", Holder: "leaky", New: newLeaky, Key: intKey, Value: newItem}.Store(),
			scenario.Map[int, item]{Name: "weak", Holder: "cache.WeakValues", New: weakValues, Key: intKey, Value: newItem}.Store(),
		},
	}
	_, vs := run(t, sc, inProcess())
	if got := vs["leaky"].Metrics[report.Entries]; got != 2000 {
		t.Errorf("leaky cache: %v entries, want all 2000", got)
	}
	if got := vs["weak"].Metrics[report.Entries]; got != 500 {
		t.Errorf("weak map: %v entries, want the 500 kept", got)
	}
	if l, w := vs["leaky"].Metrics[report.RetainedBytes], vs["weak"].Metrics[report.RetainedBytes]; l < 2000*256 || l-w < 0.5*1500*256 { // the weak map lets at least half of the dropped payload go
		t.Errorf("retained: leaky %v, weak %v bytes", l, w)
	}
	for name, v := range vs {
		if v.Metrics["put_ns"] <= 0 || v.Metrics["bytes_per_entry"] <= 0 {
			t.Errorf("%s: put_ns %v, bytes_per_entry %v", name, v.Metrics["put_ns"], v.Metrics["bytes_per_entry"])
		}
	}

	sc = &scenario.Scenario{
		Name:     "request-protocol-test",
		Defaults: scenario.Params{Objects: 1000, Size: 64, Extra: map[string]float64{"requests": 20_000}},
		Variants: []scenario.Variant{
			scenario.Map[int, item]{Name: "leaky", New: newLeaky, Key: intKey, Value: newItem}.Requests(),
			scenario.Map[int, item]{Name: "weak", New: weakValues, Key: intKey, Value: newItem}.Requests(),
		},
	}
	_, vs = run(t, sc, inProcess())
	leakyHits, weakHits := vs["leaky"].Metrics["hit_ratio"], vs["weak"].Metrics["hit_ratio"]
	// A cache that keeps everything misses each key once.
	if leakyHits < 0.9 || leakyHits >= 1 || weakHits > leakyHits {
		t.Errorf("hit ratios: leaky %v, weak %v", leakyHits, weakHits)
	}
	if got := vs["weak"].Metrics[report.Entries]; got != 0 {
		t.Errorf("weak map after the stream: %v entries, want 0", got)
	}
}

// registry is a user's listener registry that keeps its listeners.
type registry struct {
	mu        sync.Mutex
	listeners []*item
}

func (r *registry) Add(l *item) { r.mu.Lock(); r.listeners = append(r.listeners, l); r.mu.Unlock() }
func (r *registry) Len() int    { r.mu.Lock(); defer r.mu.Unlock(); return len(r.listeners) }
func (r *registry) All() iter.Seq[*item] {
	return func(yield func(*item) bool) {
		r.mu.Lock()
		ls := append([]*item(nil), r.listeners...)
		r.mu.Unlock()
		for _, l := range ls {
			if !yield(l) {
				return
			}
		}
	}
}

func TestSetProtocol(t *testing.T) {
	sc := &scenario.Scenario{
		Name:     "set-protocol-test",
		Defaults: scenario.Params{Objects: 1000, Size: 64, Keep: 0.5},
		Variants: []scenario.Variant{
			scenario.Set[item]{Name: "registry", New: func(scenario.Params) scenario.SetHolder[item] { return &registry{} }, Value: newItem}.Store(),
			scenario.Set[item]{Name: "weak", New: func(scenario.Params) scenario.SetHolder[item] { return cache.NewWeakSet[item]() }, Value: newItem}.Store(),
		},
	}
	_, vs := run(t, sc, inProcess())
	if d, l := vs["registry"].Metrics["deliveries_per_event"], vs["registry"].Metrics["lapsed_deliveries"]; d != 1000 || l != 500 {
		t.Errorf("strong registry: %v deliveries, %v lapsed; want 1000 and 500", d, l)
	}
	if d, l := vs["weak"].Metrics["deliveries_per_event"], vs["weak"].Metrics["lapsed_deliveries"]; d != 500 || l != 0 {
		t.Errorf("weak set: %v deliveries, %v lapsed; want 500 and 0", d, l)
	}
}

// panicky panics in the method it is told to.
type panicky struct{ in string }

func (p panicky) Populate() {
	if p.in == "Populate" {
		panic("populate broke")
	}
}
func (p panicky) Release() {
	if p.in == "Release" {
		panic(errors.New("release broke"))
	}
}
func (p panicky) Len() int {
	if p.in == "Len" {
		panic("len broke")
	}
	return 0
}

// A subject that panics costs its variant an error row; the other
// variants are measured and the run goes on.
func TestSubjectPanics(t *testing.T) {
	variant := func(in string) scenario.Variant {
		return scenario.Variant{Name: strings.ToLower(in), New: func(scenario.Params) scenario.Subject {
			if in == "New" {
				panic("new broke")
			}
			return panicky{in}
		}}
	}
	sc := &scenario.Scenario{
		Name:     "panics-test",
		Defaults: scenario.Params{Objects: 1, Size: 1},
		Variants: []scenario.Variant{variant("New"), variant("Populate"), variant("Release"), variant("Len"), variant("none")},
		Expectations: []scenario.Expectation{
			{Text: "never evaluated", Check: scenario.Equals("none", report.Entries, scenario.Const(0))},
		},
	}
	res, vs := run(t, sc, inProcess())
	for in, want := range map[string]string{
		"new": "New panicked: new broke", "populate": "Populate panicked: populate broke",
		"release": "Release panicked: release broke", "len": "Len panicked: len broke",
	} {
		if got := vs[in].Error; got != want {
			t.Errorf("variant %s: error %q, want %q", in, got, want)
		}
	}
	if vs["none"].Error != "" || vs["none"].Metrics == nil {
		t.Errorf("the variant that does not panic: %+v", vs["none"])
	}
	if res.Expectations[0].Pass {
		t.Errorf("a run with error rows must fail: %+v", res.Expectations)
	}
}

// A program that does not serve workers is told so, and never started
// again as one.
func TestProcessIsolationNeedsHandleWorker(t *testing.T) {
	sc := &scenario.Scenario{Name: "isolation-refused-test", Variants: []scenario.Variant{
		scenario.Map[int, item]{Name: "leaky", New: newLeaky, Key: intKey, Value: newItem}.Store(),
	}}
	registerOnce(sc)
	opts := scenario.DefaultOptions() // process isolation
	_, err := scenario.Run(context.Background(), sc, opts)
	if err == nil || !strings.Contains(err.Error(), "call scenario.HandleWorker() first thing in main") {
		t.Errorf("Run with process isolation in a program without HandleWorker: %v", err)
	}

	// Started as a worker, a main that reaches Run instead of serving.
	t.Setenv("WEAKSCOPE_WORKER", "1")
	_, err = scenario.Run(context.Background(), sc, opts)
	if err == nil || !strings.Contains(err.Error(), "was started as a weakscope worker") {
		t.Errorf("Run inside a worker: %v", err)
	}
}

// quiescing is a holder with per-cycle work: it counts the runner's calls.
type quiescing struct {
	leaky
	calls atomic.Int64
}

func (q *quiescing) Quiesce() { q.calls.Add(1) }

// A holder wrapped in MapFuncs is waited for after each cycle, as it is
// when given directly, once MapFuncs names it in Wrapped.
func TestMapFuncsWrapped(t *testing.T) {
	for _, wrapped := range []bool{false, true} {
		q := &quiescing{leaky: leaky{m: map[int]*item{}}}
		funcs := scenario.MapFuncs[int, item]{PutFunc: q.Put, GetFunc: q.Get, LenFunc: q.Len}
		if wrapped {
			funcs.Wrapped = q
		}
		sc := &scenario.Scenario{
			Name:     "mapfuncs-test",
			Defaults: scenario.Params{Objects: 100, Size: 64},
			Variants: []scenario.Variant{
				scenario.Map[int, item]{Name: "v", New: func(scenario.Params) scenario.MapHolder[int, item] { return funcs }, Key: intKey, Value: newItem}.Store(),
			},
		}
		run(t, sc, inProcess())
		if got := q.calls.Load(); (got > 0) != wrapped {
			t.Errorf("Wrapped set %v: Quiesce called %d times", wrapped, got)
		}
	}
}

// releasesInRelease is a subject whose release is followed at once by a
// GC cycle of the runtime's own, before the runner looks: what a tight
// GOMEMLIMIT does.
type releasesInRelease struct {
	mu  sync.Mutex
	obj *item
	wp  weakItem
}

type weakItem = interface{ Value() *item }

// weakPointer is weak.Make, as the interface above.
func weakPointer(p *item) weakItem { wp := weak.Make(p); return &wp }

func (s *releasesInRelease) Populate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.obj = newItem(0, scenario.Params{Size: 64})
	s.wp = weakPointer(s.obj)
}
func (s *releasesInRelease) Release() {
	s.mu.Lock()
	s.obj = nil
	s.mu.Unlock()
	runtime.GC() // the automatic cycle that releases it
}
func (s *releasesInRelease) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wp != nil && s.wp.Value() != nil {
		return 1
	}
	return 0
}

// A release that a cycle completed before the runner's first look still
// counts that cycle: cycles to release are counted from the release.
func TestCyclesCountedFromTheRelease(t *testing.T) {
	sc := &scenario.Scenario{Name: "cycles-from-release-test", Defaults: scenario.Params{Objects: 1, Size: 64},
		Variants: []scenario.Variant{{Name: "v", New: func(scenario.Params) scenario.Subject { return &releasesInRelease{} }}}}
	for range 5 {
		_, vs := run(t, sc, inProcess())
		m := vs["v"].Metrics
		if m[report.Entries] != 0 || m[report.CyclesToRelease] < 1 {
			t.Fatalf("entries %v after %v cycles (automatic %v), want 0 after at least 1", m[report.Entries], m[report.CyclesToRelease], m["automatic_cycles"])
		}
		if m["automatic_cycles"] < 1 {
			t.Errorf("the runtime's own cycle in Release is not counted as automatic: %v", m["automatic_cycles"])
		}
	}
}

// nothing is a holder that holds nothing: what a run retains with it is
// the runner's own.
type nothing struct{}

func (nothing) Put(int, *item)        {}
func (nothing) Get(int) (*item, bool) { return nil, false }
func (nothing) Len() int              { return 0 }

// The runner's bookkeeping does not count as the holder's: once the
// callers have dropped everything, a holder of nothing retains (almost)
// nothing, not 8 bytes per object for the callers' slice.
func TestRunnerBookkeepingNotRetained(t *testing.T) {
	sc := &scenario.Scenario{Name: "bookkeeping-test", Defaults: scenario.Params{Objects: 50_000, Size: 16},
		Variants: []scenario.Variant{scenario.Map[int, item]{Name: "nothing", Key: intKey, Value: newItem,
			New: func(scenario.Params) scenario.MapHolder[int, item] { return nothing{} }}.Store()}}
	_, vs := run(t, sc, inProcess())
	// The callers' slice of 50,000 references alone is 400 KB.
	if got := vs["nothing"].Metrics[report.RetainedBytes]; got > 64<<10 {
		t.Errorf("a holder of nothing retained %s after the release", report.FormatBytes(got))
	}
}
