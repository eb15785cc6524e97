package report_test

import (
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
)

// variant builds a measured variant with the given runs of each metric.
func variant(name string, runs map[string][]float64, volatile ...string) report.VariantResult {
	v := report.VariantResult{Variant: name, Holder: "cache.X", Metrics: map[string]float64{}, Samples: runs, Volatile: volatile}
	for m, xs := range runs {
		v.Metrics[m] = xs[len(xs)/2]
		v.Runs = len(xs)
	}
	return v
}

func results(vs ...report.VariantResult) *report.Results {
	return &report.Results{Schema: report.Schema, Env: report.Env{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}, Scenarios: []report.ScenarioResult{{
		Name: "s", Variants: vs,
		Expectations: []report.Expectation{{Text: "e", Pass: true, Detail: "d"}},
	}}}
}

func verdicts(c *report.Comparison) map[string]report.Verdict {
	out := map[string]report.Verdict{}
	for _, m := range c.Metrics {
		out[m.Variant+" "+m.Metric] = m.Verdict
	}
	return out
}

func TestCompareExactMetrics(t *testing.T) {
	base := results(variant("v", map[string][]float64{
		report.RetainedBytes: {1 << 20, 1 << 20, 1 << 20}, report.Entries: {0, 0, 0}, report.RetainedObjects: {1000, 1000, 1000},
	}))
	for _, tc := range []struct {
		name    string
		bytes   float64
		entries float64
		want    report.Verdict
	}{
		{"same", 1 << 20, 0, report.VerdictSame},
		{"within tolerance", 1.09 * (1 << 20), 0, report.VerdictSame},
		{"beyond tolerance", 1.2 * (1 << 20), 0, report.VerdictRegressed},
		{"better", 0.5 * (1 << 20), 0, report.VerdictImproved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := results(variant("v", map[string][]float64{
				report.RetainedBytes: {tc.bytes, tc.bytes, tc.bytes}, report.Entries: {tc.entries, tc.entries, tc.entries}, report.RetainedObjects: {1000, 1000, 1000},
			}))
			c := report.Compare(base, now, report.DefaultCompareOptions())
			if got := verdicts(c)["v "+report.RetainedBytes]; got != tc.want {
				t.Errorf("retained_bytes verdict %q, want %q", got, tc.want)
			}
			if c.Failed() != (tc.want == report.VerdictRegressed) {
				t.Errorf("Failed() = %v for %s", c.Failed(), tc.want)
			}
		})
	}
}

// A metric of 0 does not fail on a few bytes: the floor applies.
func TestCompareFloor(t *testing.T) {
	base := results(variant("v", map[string][]float64{report.RetainedBytes: {0}}))
	now := results(variant("v", map[string][]float64{report.RetainedBytes: {4096}}))
	if v := verdicts(report.Compare(base, now, report.DefaultCompareOptions()))["v "+report.RetainedBytes]; v != report.VerdictSame {
		t.Errorf("0 → 4 KiB: %q, want ok (under the 64 KiB floor)", v)
	}
	now = results(variant("v", map[string][]float64{report.RetainedBytes: {1 << 20}}))
	if v := verdicts(report.Compare(base, now, report.DefaultCompareOptions()))["v "+report.RetainedBytes]; v != report.VerdictRegressed {
		t.Errorf("0 → 1 MiB: %q, want regressed", v)
	}
}

// Time counts only when the change is significant and beyond the
// statistical tolerance.
func TestCompareTimeStatistically(t *testing.T) {
	base := results(variant("v", map[string][]float64{report.CPUNS: {10e6, 11e6, 10.5e6, 9.8e6, 10.2e6}}))
	opts := report.DefaultCompareOptions()
	for _, tc := range []struct {
		name string
		runs []float64
		want report.Verdict
	}{
		{"noise", []float64{9.9e6, 10.9e6, 10.4e6, 10e6, 10.3e6}, report.VerdictSame},
		{"significant but within tolerance", []float64{15e6, 15.5e6, 14.8e6, 15.2e6, 15.1e6}, report.VerdictSame},
		{"twice as slow, within the default tolerance", []float64{21e6, 22e6, 20.5e6, 21.5e6, 21.2e6}, report.VerdictSame},
		{"four times slower", []float64{42e6, 43e6, 41e6, 42.5e6, 42.2e6}, report.VerdictRegressed},
		{"slower once, not significant", []float64{10e6, 11e6, 30e6, 9.8e6, 10.2e6}, report.VerdictSame},
		{"four times faster", []float64{2.5e6, 2.6e6, 2.4e6, 2.55e6, 2.52e6}, report.VerdictImproved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := report.Compare(base, results(variant("v", map[string][]float64{report.CPUNS: tc.runs})), opts)
			if got := verdicts(c)["v "+report.CPUNS]; got != tc.want {
				t.Errorf("verdict %q, want %q (%+v)", got, tc.want, c.Metrics)
			}
		})
	}
}

// Wall time is recorded but never judged: it measures the machine's load as
// much as the code.
func TestCompareWallTimeNotJudged(t *testing.T) {
	base := results(variant("v", map[string][]float64{report.WallNS: {10e6, 11e6, 10.5e6, 9.8e6, 10.2e6}}))
	now := results(variant("v", map[string][]float64{report.WallNS: {42e6, 43e6, 41e6, 42.5e6, 42.2e6}}))
	c := report.Compare(base, now, report.DefaultCompareOptions())
	if c.Failed() {
		t.Errorf("four times the wall time failed the check: %+v", c.Metrics)
	}
	if v, ok := verdicts(c)["v "+report.WallNS]; ok {
		t.Errorf("wall_ns was judged (%q)", v)
	}
}

func TestCompareVolatileNeverFails(t *testing.T) {
	base := results(variant("v", map[string][]float64{report.RetainedBytes: {1e5, 1e5, 1e5, 1e5, 1e5}}, report.RetainedBytes))
	now := results(variant("v", map[string][]float64{report.RetainedBytes: {9e5, 9e5, 9e5, 9e5, 9e5}}, report.RetainedBytes))
	c := report.Compare(base, now, report.DefaultCompareOptions())
	if got := verdicts(c)["v "+report.RetainedBytes]; got != report.VerdictVaries || c.Failed() {
		t.Errorf("volatile metric: verdict %q, failed %v; want varies, false", got, c.Failed())
	}
}

func TestCompareExpectationsProblemsAndWarnings(t *testing.T) {
	base := results(variant("v", map[string][]float64{report.Entries: {1}}))
	now := results(variant("v", map[string][]float64{report.Entries: {1}}))
	now.Env.GoVersion = "go1.27.0"
	c := report.Compare(base, now, report.DefaultCompareOptions())
	if c.Failed() || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "go1.27.0") {
		t.Errorf("Go upgrade: failed %v, warnings %q", c.Failed(), c.Warnings)
	}
	now.Scenarios[0].Expectations[0].Pass = false
	if c := report.Compare(base, now, report.DefaultCompareOptions()); !c.Failed() || !strings.HasPrefix(c.Summary(), "FAIL") {
		t.Errorf("a failed expectation did not fail the check: %s", c.Summary())
	}
	now.Scenarios[0].Expectations[0].Pass = true
	base.Scenarios[0].Expectations[0].Pass = false
	if c := report.Compare(base, now, report.DefaultCompareOptions()); !c.Failed() || len(c.Problems) != 1 {
		t.Errorf("a baseline with a failed expectation: failed %v, problems %q", c.Failed(), c.Problems)
	}
	base.Scenarios[0].Expectations[0].Pass = true
	now.Scenarios[0].Variants = append(now.Scenarios[0].Variants, report.VariantResult{Variant: "broken", Error: "worker timed out"})
	if c := report.Compare(base, now, report.DefaultCompareOptions()); !c.Failed() {
		t.Error("a variant that could not be measured did not fail the check")
	}
}

func TestCompareNewAndMissing(t *testing.T) {
	base := results(variant("old", map[string][]float64{report.Entries: {1}}))
	now := results(variant("new", map[string][]float64{report.Entries: {1}}))
	c := report.Compare(base, now, report.DefaultCompareOptions())
	v := verdicts(c)
	if v["new "+report.Entries] != report.VerdictNew || v["old (variant)"] != report.VerdictMissing || c.Failed() {
		t.Errorf("verdicts %v, failed %v", v, c.Failed())
	}
}
