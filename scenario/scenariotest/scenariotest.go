// Package scenariotest runs weakscope scenarios from go test: the same
// protocol, expectations and baseline judgement as "weakscope run" and
// "weakscope check", reported as a test's failures and log.
//
//	func TestSessionRetention(t *testing.T) {
//		scenariotest.Run(t, sessionScenario)
//	}
//
// Variants run in the test process unless the test binary serves workers,
// which it does when its TestMain is
//
//	func TestMain(m *testing.M) { scenariotest.Main(m) }
//
// and the scenario is registered (scenario.Register): then each variant
// runs in a child process of its own, the test binary again, with a clean
// heap, as the command line runs them.
//
// A baseline turns the test into a retention gate for CI:
//
//	go test -run Retention -weakscope.baseline testdata/retention.json -weakscope.update   # record
//	go test -run Retention -weakscope.baseline testdata/retention.json                     # judge
//
// Judged against a baseline, a test fails when a retention metric moved
// beyond the tolerance, when CPU time regressed significantly, or when
// the baseline lacks the scenario, exactly as weakscope check decides
// (report.Compare with report.DefaultCompareOptions). One baseline file
// can hold the scenarios of many tests: -weakscope.update rewrites only the
// ones that ran.
package scenariotest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

var (
	baselineFlag = flag.String("weakscope.baseline", "", "judge scenarios against this weakscope baseline file (written by -weakscope.update or weakscope check --update)")
	updateFlag   = flag.Bool("weakscope.update", false, "write the scenarios that run into the -weakscope.baseline file instead of judging them")
	countFlag    = flag.Int("weakscope.count", 0, "runs per variant (default 1, or 5 with a baseline, as weakscope check)")
)

// Main is a TestMain that lets scenarios run in child processes: in a test
// binary started as a worker it serves the job and exits (see
// scenario.HandleWorker); otherwise it runs the tests and exits with their
// status.
func Main(m *testing.M) {
	scenario.HandleWorker()
	os.Exit(m.Run())
}

// Option changes how Run runs a scenario.
type Option interface{ apply(*config) }

type config struct {
	opts     scenario.Options
	repeat   int
	baseline string
	update   bool
	compare  report.CompareOptions
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithParams overrides the scenario's default parameters; zero fields keep
// the defaults.
func WithParams(p scenario.Params) Option {
	return optionFunc(func(c *config) { c.opts.Params = p })
}

// WithRepeat runs each variant n times; metrics are the median of the runs.
func WithRepeat(n int) Option {
	return optionFunc(func(c *config) { c.repeat = n })
}

// WithOptions changes the run's options as f says, in its place among the
// options: settings, isolation, Why, timeouts. The number of runs is not
// among them: WithRepeat and -weakscope.count set it.
func WithOptions(f func(*scenario.Options)) Option {
	return optionFunc(func(c *config) { f(&c.opts) })
}

// WithBaseline judges the run against the baseline file path, as the
// -weakscope.baseline flag does (the flag, when given, wins).
func WithBaseline(path string) Option {
	return optionFunc(func(c *config) { c.baseline = path })
}

// WithCompareOptions sets the tolerances of the baseline judgement; the
// default is report.DefaultCompareOptions, as weakscope check's.
func WithCompareOptions(o report.CompareOptions) Option {
	return optionFunc(func(c *config) { c.compare = o })
}

// Run runs every variant of sc and reports it on t: the table of metrics
// and each expectation's verdict in the log, and a failure for each
// expectation that fails, each variant that could not be measured and,
// with a baseline, each metric that regressed. When an expectation fails,
// the log says what keeps the released objects alive (their retention
// paths). It returns the result for further checks of the test's own.
func Run(t testing.TB, sc *scenario.Scenario, opts ...Option) report.ScenarioResult {
	t.Helper()
	c := config{opts: scenario.DefaultOptions(), compare: report.DefaultCompareOptions()}
	c.opts.Isolate = scenario.IsolateNone
	if registered(sc) && scenario.ServesWorkers() {
		c.opts.Isolate = scenario.IsolateProcess
	}
	for _, o := range opts {
		o.apply(&c)
	}
	if *baselineFlag != "" {
		c.baseline = *baselineFlag
	}
	c.update = *updateFlag
	if c.update && c.baseline == "" {
		t.Fatal("scenariotest: -weakscope.update needs -weakscope.baseline FILE")
	}
	switch {
	case *countFlag > 0:
		c.opts.Repeat = *countFlag
	case c.repeat > 0:
		c.opts.Repeat = c.repeat
	case c.baseline != "":
		c.opts.Repeat = 5 // as weakscope check --count
	default:
		c.opts.Repeat = 1
	}
	ctx := context.Background()
	if d, ok := t.(interface{ Context() context.Context }); ok {
		ctx = d.Context()
	}
	res, err := scenario.Run(ctx, sc, c.opts)
	if err != nil {
		t.Fatalf("scenariotest: running %s: %v", sc.Name, err)
	}
	now := report.NewResults()
	now.Scenarios = []report.ScenarioResult{res}
	t.Log("\n" + summary(now))

	for _, v := range res.Variants {
		if v.Error != "" {
			t.Errorf("%s/%s%s could not be measured: %s", res.Name, v.Variant, v.Setting.Tag(), v.Error)
		}
	}
	for _, e := range res.Expectations {
		if !e.Pass && !strings.HasPrefix(e.Detail, "not evaluated") {
			t.Errorf("%s%s: expectation failed: %s (%s)", res.Name, bracket(e.Setting), e.Text, e.Detail)
		}
	}
	switch {
	case c.baseline == "":
	case c.update:
		if now.Failed() {
			t.Errorf("scenariotest: not writing %s to the baseline: its run failed", res.Name)
			break
		}
		if err := updateBaseline(c.baseline, now); err != nil {
			t.Fatalf("scenariotest: %v", err)
		}
		t.Logf("wrote %s to the baseline %s", res.Name, c.baseline)
	default:
		judge(t, c, now)
	}
	return res
}

func registered(sc *scenario.Scenario) bool {
	reg, err := scenario.Lookup(sc.Name)
	return err == nil && slices.Equal(reg.VariantNames(), sc.VariantNames())
}

// judge compares now with the baseline's record of the same scenario, as
// weakscope check does.
func judge(t testing.TB, c config, now *report.Results) {
	t.Helper()
	name := now.Scenarios[0].Name
	base, err := report.ReadFile(c.baseline)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("scenariotest: no baseline %s: record one with -weakscope.update", c.baseline)
	}
	if err != nil {
		t.Fatalf("scenariotest: %v", err)
	}
	i := slices.IndexFunc(base.Scenarios, func(s report.ScenarioResult) bool { return s.Name == name })
	if i < 0 {
		t.Fatalf("scenariotest: the baseline %s has no scenario %s: record it with -weakscope.update", c.baseline, name)
	}
	only := *base
	only.Scenarios = base.Scenarios[i : i+1]
	cmp := report.Compare(&only, now, c.compare)
	for _, w := range cmp.Warnings {
		t.Logf("warning: %s", w)
	}
	for _, p := range cmp.Problems {
		t.Errorf("%s", p)
	}
	for _, m := range cmp.Metrics {
		switch m.Verdict {
		case report.VerdictRegressed:
			t.Errorf("%s regressed: baseline %s, now %s (%s)", m.Name(), report.FormatMetric(m.Metric, m.Baseline), report.FormatMetric(m.Metric, m.Now), m.Detail)
		case report.VerdictMissing:
			t.Errorf("%s: in the baseline, not measured now", m.Name())
		case report.VerdictImproved:
			t.Logf("%s improved: baseline %s, now %s; refresh the baseline with -weakscope.update", m.Name(), report.FormatMetric(m.Metric, m.Baseline), report.FormatMetric(m.Metric, m.Now))
		}
	}
	t.Log(cmp.Summary())
}

// baselineMu serialises updates of baseline files by parallel tests.
var baselineMu sync.Mutex

// updateBaseline writes now's scenario into the baseline file at path,
// replacing its earlier record and keeping the file's other scenarios.
func updateBaseline(path string, now *report.Results) error {
	baselineMu.Lock()
	defer baselineMu.Unlock()
	doc := now
	old, err := report.ReadFile(path)
	switch {
	case err == nil:
		doc = old
		doc.ToolVersion, doc.Env, doc.Started = now.ToolVersion, now.Env, now.Started
		s := now.Scenarios[0]
		if i := slices.IndexFunc(doc.Scenarios, func(o report.ScenarioResult) bool { return o.Name == s.Name }); i >= 0 {
			doc.Scenarios[i] = s
		} else {
			doc.Scenarios = append(doc.Scenarios, s)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing the baseline: %w", err)
	}
	// A baseline keeps metrics and runs, not per-cycle timelines, as
	// weakscope check --update writes it.
	for i := range doc.Scenarios {
		for j := range doc.Scenarios[i].Variants {
			doc.Scenarios[i].Variants[j].Timeline = nil
		}
	}
	return doc.WriteFile(path)
}

// summary is the run as text for the test log: a row per variant, then
// every expectation and retention path.
func summary(r *report.Results) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 2, ' ', tabwriter.AlignRight)
	metrics := []string{report.RetainedBytes, report.RetainedObjects, report.Entries, report.CyclesToRelease, report.CleanupsRun, report.PeakHeapBytes, report.CPUNS}
	fmt.Fprintln(w, "variant\tretained\tobjects\tentries\tcycles\tcleanups\tpeak heap\tcpu\t")
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			fmt.Fprintf(w, "%s/%s%s\t", s.Name, v.Variant, v.Setting.Tag())
			for _, m := range metrics {
				cell := "—"
				if x, ok := v.Metrics[m]; ok && v.Error == "" {
					cell = report.FormatMetric(m, x)
				}
				fmt.Fprintf(w, "%s\t", cell)
			}
			fmt.Fprintln(w)
		}
	}
	w.Flush()
	for _, s := range r.Scenarios {
		for _, e := range s.Expectations {
			fmt.Fprintln(&b, e.Line(s.Name))
		}
		for _, v := range s.Variants {
			for _, p := range v.Retention {
				fmt.Fprintf(&b, "why %s/%s is retained: %s\n", s.Name, v.Variant, p.Path)
			}
			if v.RetentionError != "" {
				fmt.Fprintf(&b, "why %s/%s is retained: no paths: %s\n", s.Name, v.Variant, v.RetentionError)
			}
		}
	}
	return b.String()
}

func bracket(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}
