package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Verdict is the outcome of comparing one metric with its baseline.
type Verdict string

// Verdicts, from best to worst.
const (
	// VerdictSame: within the tolerance, or not a significant change.
	VerdictSame Verdict = "ok"
	// VerdictVaries: a metric the scenario marks as varying by design
	// changed significantly; shown, never failing the check.
	VerdictVaries Verdict = "varies"
	// VerdictImproved: better than the baseline beyond the tolerance.
	VerdictImproved Verdict = "improved"
	// VerdictNew: measured now, absent from the baseline.
	VerdictNew Verdict = "new"
	// VerdictMissing: in the baseline, not measured now (not run, or failed).
	VerdictMissing Verdict = "missing"
	// VerdictRegressed: worse than the baseline beyond the tolerance.
	VerdictRegressed Verdict = "REGRESSED"
)

// CompareOptions say how strict a comparison is. Start from
// [DefaultCompareOptions].
type CompareOptions struct {
	// Tolerance is the relative change allowed before a retention metric
	// counts as changed, e.g. 0.10 for 10%.
	Tolerance float64
	// StatTolerance is the relative change of the median allowed for the
	// metrics compared statistically: time, which a shared machine or CI
	// runner moves by tens of percent between batches of runs, and
	// metrics a scenario marks volatile.
	StatTolerance float64
	// Floors are absolute changes always allowed, per metric, so that a
	// metric near 0 does not fail on a few bytes.
	Floors map[string]float64
	// Alpha is the significance level for the statistical metrics.
	Alpha float64
}

// DefaultCompareOptions returns a 10% tolerance for retention, 200% (three
// times slower, significantly) for the statistical metrics, the floors below
// and alpha = 0.05. Even CPU time grows by up to 60% on a 2-core machine
// whose cores are busy with other work (caches and memory bandwidth are
// shared); see docs/RELIABILITY.md.
func DefaultCompareOptions() CompareOptions {
	return CompareOptions{
		Tolerance:     0.10,
		StatTolerance: 2.0,
		Floors: map[string]float64{
			RetainedBytes:   64 << 10, // runtime and bookkeeping noise after a settle
			RetainedObjects: 100,
			Entries:         2,
			CyclesToRelease: 1,
			CPUNS:           2e6, // 2 ms: a GC cycle more or less
		},
		Alpha: 0.05,
	}
}

// exactMetrics are measured after a forced, settled GC: close to
// deterministic, so compared as values with a tolerance. Lower is better.
var exactMetrics = []string{RetainedBytes, RetainedObjects, Entries, CyclesToRelease}

// timeMetrics vary from run to run and are compared statistically: the
// change counts only if it is significant (Mann–Whitney U over the runs) and
// beyond the tolerance. Lower is better.
//
// Only CPU time is judged. Wall time (wall_ns, and map-strategy's put_ns)
// measures the machine as much as the code: with both cores of a 2-core
// runner busy with other processes, the same work took 2–4× as long in wall
// time but 0.8–1.6× in CPU time (docs/RELIABILITY.md). Wall time is still
// recorded and shown.
var timeMetrics = []string{CPUNS}

// MetricComparison is one metric of one variant against the baseline.
type MetricComparison struct {
	Scenario string  `json:"scenario"`
	Variant  string  `json:"variant"`
	Setting  Setting `json:"setting"`
	Metric   string  `json:"metric"`
	// Statistical is true for time metrics, compared over the runs.
	Statistical bool    `json:"statistical"`
	Baseline    float64 `json:"baseline"`
	Now         float64 `json:"now"`
	// Change is (Now − Baseline) / |Baseline|; ±Inf from a baseline of 0.
	Change  float64 `json:"change"`
	Verdict Verdict `json:"verdict"`
	// Detail says why: the limit, or the p-value and sample sizes.
	Detail string `json:"detail"`
}

// Name is "scenario/variant[ [setting]] metric".
func (m MetricComparison) Name() string {
	return m.Scenario + "/" + m.Variant + m.Setting.Tag() + " " + m.Metric
}

// Comparison is a check of current results against a baseline.
type Comparison struct {
	Metrics []MetricComparison `json:"metrics"`
	// Expectations are the current run's, with the scenario named.
	Expectations []CheckedExpectation `json:"expectations"`
	// Problems make the check fail on their own: variants that could not
	// be measured, and a baseline that records failures.
	Problems []string `json:"problems,omitempty"`
	// Warnings explain differences without failing the check, such as a
	// baseline recorded with another Go version.
	Warnings []string `json:"warnings,omitempty"`
}

// CheckedExpectation is an expectation of the current run.
type CheckedExpectation struct {
	Scenario string `json:"scenario"`
	Expectation
}

// Compare checks now against base: retention metrics as values within the
// tolerance (plus a floor), time metrics statistically over the runs, and
// every expectation of the current run.
//
// A variant of now is compared with the variant of base of the same
// scenario, name and setting. Where base does not tell toolchains apart
// (its variants have no [Setting.Go]), its variants are the reference for
// every toolchain of now: a run with --go go1.27.3 is judged against a
// baseline recorded with the program's own Go. Where now does not and base
// does, now's variants are compared with base's of now's Go version. The
// machine is matched the same way, a run without one being on its own
// GOOS/GOARCH. Base's variants of a toolchain or machine that now did not
// measure at all are named in a warning, not listed as missing.
func Compare(base, now *Results, opts CompareOptions) *Comparison {
	c := &Comparison{}
	c.Warnings = envWarnings(base, now)
	for _, s := range base.Scenarios {
		for _, e := range s.Expectations {
			if !e.Pass {
				c.Problems = append(c.Problems, fmt.Sprintf("the baseline records a failed expectation (%s%s: %s); refresh it with --update once the cause is fixed", s.Name, bracket(e.Setting), e.Text))
			}
		}
		for _, v := range s.Variants {
			if v.Error != "" {
				c.Problems = append(c.Problems, fmt.Sprintf("the baseline records a variant that could not be measured (%s/%s%s: %s)", s.Name, v.Variant, v.Setting.Tag(), v.Error))
			}
		}
	}
	baseVariants := map[string]VariantResult{}
	for _, s := range base.Scenarios {
		for _, v := range s.Variants {
			baseVariants[variantKey(s.Name, v.Variant, v.Setting)] = v
		}
	}
	// match finds the baseline's variant for one of now's, by the rules
	// above.
	match := func(scenario string, v VariantResult) (string, VariantResult, bool) {
		for _, m := range alternatives(v.Setting.Machine, Platform(now.Env)) {
			for _, g := range alternatives(v.Setting.Go, now.Env.GoVersion) {
				set := v.Setting
				set.Machine, set.Go = m, g
				key := variantKey(scenario, v.Variant, set)
				if b, ok := baseVariants[key]; ok {
					return key, b, true
				}
			}
		}
		return "", VariantResult{}, false
	}
	seen := map[string]bool{}
	nowEnvs := map[Setting]bool{}
	acrossToolchains := map[[2]string]bool{}
	var toolchainPairs [][2]string
	for _, s := range now.Scenarios {
		for _, e := range s.Expectations {
			c.Expectations = append(c.Expectations, CheckedExpectation{Scenario: s.Name, Expectation: e})
		}
		for _, v := range s.Variants {
			nowEnvs[effectiveEnvironment(now, v.Setting)] = true
			if v.Error != "" {
				c.Problems = append(c.Problems, fmt.Sprintf("%s/%s%s could not be measured: %s", s.Name, v.Variant, v.Setting.Tag(), v.Error))
				continue
			}
			key, b, ok := match(s.Name, v)
			if ok {
				seen[key] = true
				pair := [2]string{effectiveEnvironment(base, b.Setting).Go, effectiveEnvironment(now, v.Setting).Go}
				if pair[0] != pair[1] && !acrossToolchains[pair] {
					acrossToolchains[pair] = true
					toolchainPairs = append(toolchainPairs, pair)
				}
			}
			for _, m := range slices.Concat(exactMetrics, timeMetrics) {
				x, has := v.Metrics[m]
				if !has {
					continue
				}
				volatile := slices.Contains(v.Volatile, m) || slices.Contains(b.Volatile, m)
				mc := MetricComparison{Scenario: s.Name, Variant: v.Variant, Setting: v.Setting, Metric: m, Now: x, Statistical: volatile || slices.Contains(timeMetrics, m)}
				bx, bhas := b.Metrics[m]
				if !ok || b.Error != "" || !bhas {
					mc.Verdict, mc.Detail = VerdictNew, "not in the baseline"
					c.Metrics = append(c.Metrics, mc)
					continue
				}
				mc.Baseline, mc.Change = bx, relChange(bx, x)
				if mc.Statistical {
					compareStatistical(&mc, b, v, opts)
					if volatile && mc.Verdict != VerdictSame {
						mc.Verdict = VerdictVaries
						mc.Detail += ", varies by design: not judged"
					}
				} else {
					compareExact(&mc, opts)
				}
				c.Metrics = append(c.Metrics, mc)
			}
		}
	}
	for _, p := range toolchainPairs {
		if base.Env.GoVersion == p[0] && now.Env.GoVersion == p[1] && len(toolchainPairs) == 1 {
			continue // envWarnings says so
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("compared across toolchains: %s now against the baseline's %s (this alone can explain differences)", p[1], p[0]))
	}
	var elsewhere []string
	for _, s := range base.Scenarios {
		for _, v := range s.Variants {
			if seen[variantKey(s.Name, v.Variant, v.Setting)] || v.Error != "" || !ranScenario(now, s.Name) {
				continue
			}
			if env := effectiveEnvironment(base, v.Setting); !nowEnvs[env] {
				if name := env.String(); !slices.Contains(elsewhere, name) {
					elsewhere = append(elsewhere, name)
				}
				continue
			}
			c.Metrics = append(c.Metrics, MetricComparison{Scenario: s.Name, Variant: v.Variant, Setting: v.Setting, Metric: "(variant)", Verdict: VerdictMissing, Detail: "in the baseline, not measured now"})
		}
	}
	if len(elsewhere) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the baseline also has results for %s, not measured now: not compared", strings.Join(elsewhere, "; ")))
	}
	return c
}

// alternatives is the value to look a variant up by, then the one to try
// when the first is not found: for a value, the baseline's "any"; for
// none, the current run's own.
func alternatives(value, own string) []string {
	if value != "" {
		return []string{value, ""}
	}
	return []string{"", own}
}

// effectiveEnvironment is the machine and toolchain a variant of r was
// measured in, filled in from r's environment where its setting leaves
// them out.
func effectiveEnvironment(r *Results, s Setting) Setting {
	e := s.Environment()
	if e.Go == "" {
		e.Go = r.Env.GoVersion
	}
	if e.Machine == "" {
		e.Machine = Platform(r.Env)
	}
	return e
}

// Platform is the environment's "GOOS/GOARCH", or "" when it records
// neither.
func Platform(e Env) string {
	if e.GOOS == "" && e.GOARCH == "" {
		return ""
	}
	return e.GOOS + "/" + e.GOARCH
}

func variantKey(scenario, variant string, s Setting) string {
	return strings.Join([]string{scenario, variant, s.GOGC, s.GOMEMLIMIT, s.Go, s.Machine}, "\x00")
}

func ranScenario(r *Results, name string) bool {
	return slices.ContainsFunc(r.Scenarios, func(s ScenarioResult) bool { return s.Name == name })
}

func relChange(base, now float64) float64 {
	switch {
	case base == now:
		return 0
	case base == 0:
		return math.Copysign(math.Inf(1), now)
	}
	return (now - base) / math.Abs(base)
}

// compareExact judges a value measured after a settled GC: a change counts
// when it exceeds both the relative tolerance and the metric's floor.
func compareExact(mc *MetricComparison, opts CompareOptions) {
	limit := math.Max(opts.Tolerance*math.Abs(mc.Baseline), opts.Floors[mc.Metric])
	diff := mc.Now - mc.Baseline
	mc.Detail = fmt.Sprintf("limit ±%s", formatLimit(mc.Metric, limit))
	switch {
	case diff > limit:
		mc.Verdict = VerdictRegressed
	case -diff > limit:
		mc.Verdict = VerdictImproved
	default:
		mc.Verdict = VerdictSame
	}
}

// compareStatistical judges a time or volatile metric over the runs of both
// sides with the Mann–Whitney U test: it counts only when significant at
// Alpha and the medians differ by more than StatTolerance and the metric's
// floor.
func compareStatistical(mc *MetricComparison, base, now VariantResult, opts CompareOptions) {
	bs, ns := samplesOf(base, mc.Metric), samplesOf(now, mc.Metric)
	p := mannWhitneyP(bs, ns)
	// The tolerance is a ratio both ways: with 100%, twice as slow is a
	// regression and twice as fast an improvement.
	b := math.Abs(mc.Baseline)
	up := math.Max(opts.StatTolerance*b, opts.Floors[mc.Metric])
	down := math.Max(b-b/(1+opts.StatTolerance), opts.Floors[mc.Metric])
	mc.Detail = fmt.Sprintf("p=%.3f n=%d+%d, limit +%s/−%s", p, len(bs), len(ns), FormatMetric(mc.Metric, up), FormatMetric(mc.Metric, down))
	significant := p < opts.Alpha
	diff := mc.Now - mc.Baseline
	switch {
	case significant && diff > up:
		mc.Verdict = VerdictRegressed
	case significant && -diff > down:
		mc.Verdict = VerdictImproved
	default:
		mc.Verdict = VerdictSame
	}
}

func samplesOf(v VariantResult, metric string) []float64 {
	if xs := v.Samples[metric]; len(xs) > 0 {
		return xs
	}
	return []float64{v.Metrics[metric]}
}

func formatLimit(metric string, x float64) string {
	if metric == RetainedBytes {
		return FormatBytes(x)
	}
	return formatMetric(math.Round(x*100) / 100)
}

// envWarnings names what differs between the environments of two runs. A
// merged document has no one environment: what its sources do not share
// is left out of its Env, and not compared here (Compare names the
// toolchains it compares across).
func envWarnings(base, now *Results) []string {
	var w []string
	merged := len(base.Sources) > 0 || len(now.Sources) > 0
	diff := func(what, b, n string) {
		if b != n && !(merged && (b == "" || n == "")) {
			w = append(w, fmt.Sprintf("%s differs: baseline %s, now %s (this alone can explain differences)", what, orNone(b), orNone(n)))
		}
	}
	diff("Go version", base.Env.GoVersion, now.Env.GoVersion)
	diff("platform", Platform(base.Env), Platform(now.Env))
	diff("weakscope version", base.ToolVersion, now.ToolVersion)
	diff("GOGC", base.Env.GOGC, now.Env.GOGC)
	diff("GOMEMLIMIT", base.Env.GOMEMLIMIT, now.Env.GOMEMLIMIT)
	return w
}

func orNone(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// Count returns how many metrics have each verdict.
func (c *Comparison) Count() map[Verdict]int {
	n := map[Verdict]int{}
	for _, m := range c.Metrics {
		n[m.Verdict]++
	}
	return n
}

// FailedExpectations returns the current run's failed expectations.
func (c *Comparison) FailedExpectations() []CheckedExpectation {
	var out []CheckedExpectation
	for _, e := range c.Expectations {
		if !e.Pass {
			out = append(out, e)
		}
	}
	return out
}

// Failed reports whether the check fails: a regression, a failed
// expectation, or a problem.
func (c *Comparison) Failed() bool {
	return c.Count()[VerdictRegressed] > 0 || len(c.FailedExpectations()) > 0 || len(c.Problems) > 0
}

// Summary is the one-line verdict.
func (c *Comparison) Summary() string {
	n := c.Count()
	parts := []string{fmt.Sprintf("%d metrics compared", len(c.Metrics))}
	for _, v := range []Verdict{VerdictRegressed, VerdictImproved, VerdictVaries, VerdictNew, VerdictMissing} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v], strings.ToLower(string(v))))
		}
	}
	failedExp := len(c.FailedExpectations())
	parts = append(parts, fmt.Sprintf("%d/%d expectations met", len(c.Expectations)-failedExp, len(c.Expectations)))
	verdict := "PASS"
	if c.Failed() {
		verdict = "FAIL"
	}
	s := verdict + ": " + strings.Join(parts, ", ")
	if n[VerdictImproved] > 0 && !c.Failed() {
		s += " — improvements beyond the tolerance: refresh the baseline with --update to keep them"
	}
	return s
}
