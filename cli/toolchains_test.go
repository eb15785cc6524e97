package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

func TestParseToolchains(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"go1.26.8, go1.27.3", []string{"go1.26.8", "go1.27.3"}, ""},
		{"go1.27.3,go1.27.3", nil, "--go: go1.27.3 is named twice"},
		{"go1.27", nil, `--go: "go1.27" is a language version`},
		{"1.27.3", nil, `--go: "1.27.3" is not a Go toolchain (accepted: Go releases such as go1.26.8 or go1.27rc1)`},
	} {
		got, err := parseToolchains(tc.list)
		var ue *usageError
		switch {
		case tc.err == "" && err != nil, tc.err != "" && (err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseToolchains(%q): %v, want %q", tc.list, err, tc.err)
		case !slices.Equal(got, tc.want):
			t.Errorf("parseToolchains(%q) = %q, want %q", tc.list, got, tc.want)
		}
	}
}

func TestWithToolchains(t *testing.T) {
	gogc := []report.Setting{{GOGC: "50"}, {GOGC: "off"}}
	got := withToolchains([]string{"go1.26.8", "go1.27.3"}, gogc)
	want := []report.Setting{{GOGC: "50", Go: "go1.26.8"}, {GOGC: "off", Go: "go1.26.8"}, {GOGC: "50", Go: "go1.27.3"}, {GOGC: "off", Go: "go1.27.3"}}
	if !slices.Equal(got, want) {
		t.Errorf("withToolchains = %v, want %v", got, want)
	}
	if got := withToolchains(nil, gogc); !slices.Equal(got, gogc) {
		t.Errorf("no toolchains changed the settings: %v", got)
	}
	if got := withToolchains([]string{"go1.27.3"}, nil); !slices.Equal(got, []report.Setting{{Go: "go1.27.3"}}) {
		t.Errorf("one toolchain, no settings: %v", got)
	}
}

// doc is a results document of weak-ref at its defaults, measured in env,
// its variants under the given settings.
func doc(t *testing.T, env report.Env, sets ...report.Setting) *report.Results {
	t.Helper()
	sc, err := scenario.Lookup("weak-ref")
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) == 0 {
		sets = []report.Setting{{}}
	}
	s := report.ScenarioResult{Name: sc.Name, Params: sc.Params(scenario.Params{})}
	for _, set := range sets {
		for _, name := range sc.VariantNames() {
			s.Variants = append(s.Variants, report.VariantResult{Variant: name, Setting: set, Runs: 1, Metrics: map[string]float64{report.RetainedBytes: 1000, report.Entries: 0}})
		}
		s.Expectations = append(s.Expectations, report.Expectation{Text: "e", Pass: true, Detail: "d"})
	}
	return &report.Results{Schema: report.Schema, ToolVersion: "test", Env: env, Scenarios: []report.ScenarioResult{s}}
}

func here() report.Env {
	return report.Env{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
}

func checkOpts(t *testing.T, toolchains ...string) checkOptions {
	t.Helper()
	sc, _ := scenario.Lookup("weak-ref")
	return checkOptions{baseline: "base.json", scenarios: []*scenario.Scenario{sc}, toolchains: toolchains, run: scenario.DefaultOptions(), compare: report.DefaultCompareOptions()}
}

func plannedSettings(t *testing.T, base *report.Results, opts checkOptions) ([]report.Setting, []string) {
	t.Helper()
	runs, notes, err := planCheck(base, opts)
	if err != nil {
		t.Fatal(err)
	}
	return runs[0].opts.Settings, notes
}

// check --go runs each toolchain under the baseline's GOGC settings; a
// baseline recorded with --go is checked under its toolchains; a merged
// baseline's part for this machine is checked.
func TestPlanCheckToolchains(t *testing.T) {
	plain := doc(t, here(), report.Setting{GOGC: "50"})
	got, _ := plannedSettings(t, plain, checkOpts(t, "go1.27.3"))
	if want := []report.Setting{{GOGC: "50", Go: "go1.27.3"}}; !slices.Equal(got, want) {
		t.Errorf("--go go1.27.3 against a gogc=50 baseline: %v, want %v", got, want)
	}

	both := doc(t, here(), report.Setting{Go: "go1.26.8"}, report.Setting{Go: "go1.27.3"})
	got, notes := plannedSettings(t, both, checkOpts(t))
	if want := []report.Setting{{Go: "go1.26.8"}, {Go: "go1.27.3"}}; !slices.Equal(got, want) {
		t.Errorf("a baseline recorded with --go: %v, want %v", got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "weak-ref runs under the baseline's settings: go1.26.8; go1.27.3") {
		t.Errorf("notes %q", notes)
	}

	platform := runtime.GOOS + "/" + runtime.GOARCH
	merged := doc(t, report.Env{}, report.Setting{Machine: "plan9/386", Go: "go1.26.8"}, report.Setting{Machine: platform, Go: "go1.27.3"})
	got, _ = plannedSettings(t, merged, checkOpts(t))
	if want := []report.Setting{{Go: "go1.27.3"}}; !slices.Equal(got, want) {
		t.Errorf("a merged baseline: %v, want this machine's part, %v", got, want)
	}
	elsewhere := doc(t, report.Env{}, report.Setting{Machine: "plan9/386"})
	if _, _, err := planCheck(elsewhere, checkOpts(t)); !errors.Is(err, errNoBaseline) {
		t.Errorf("a baseline of other machines only: %v, want errNoBaseline", err)
	}
}

func writeDoc(t *testing.T, path string, r *report.Results) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// report with several files merges them; --out writes the merged document
// with its profiles' paths relative to it.
func TestRunReportMerges(t *testing.T) {
	dir := t.TempDir()
	old := doc(t, report.Env{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"})
	old.Scenarios[0].Variants[0].Profile = "weak-ref/held.heap.pb.gz"
	a := writeDoc(t, filepath.Join(dir, "a", "results.json"), old)
	b := writeDoc(t, filepath.Join(dir, "b", "results.json"), doc(t, report.Env{GoVersion: "go1.27.3", GOOS: "linux", GOARCH: "amd64"}))
	var out bytes.Buffer
	merged := filepath.Join(dir, "merged")
	if err := runReport(&out, reportOptions{files: []string{a, b}, format: "table", out: merged}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "│ go       │") || !strings.Contains(out.String(), "│ weak-ref │ held    │ go1.27.3 │") {
		t.Errorf("no go column:\n%s", out.String())
	}
	r, err := report.ReadFile(filepath.Join(merged, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Schema != report.SchemaV2 || len(r.Sources) != 2 {
		t.Errorf("merged document: schema %s, %d sources", r.Schema, len(r.Sources))
	}
	if p := r.Scenarios[0].Variants[0].Profile; p != "../a/weak-ref/held.heap.pb.gz" {
		t.Errorf("profile %q, want it relative to the merged document", p)
	}

	mixed := doc(t, report.Env{GoVersion: "go1.27.3"})
	mixed.Scenarios[0].Params.Objects++
	c := writeDoc(t, filepath.Join(dir, "c.json"), mixed)
	err = runReport(&out, reportOptions{files: []string{a, c}, format: "table"})
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "(merge them anyway with --allow-mixed-params)") {
		t.Errorf("different parameters: %v, want a usage error naming the flag", err)
	}
}

// check --results judges a file as a run would be judged.
func TestRunCheckResults(t *testing.T) {
	dir := t.TempDir()
	base := writeDoc(t, filepath.Join(dir, "base.json"), doc(t, here()))
	worse := doc(t, here())
	worse.Scenarios[0].Variants[1].Metrics[report.RetainedBytes] = 10 << 20
	now := writeDoc(t, filepath.Join(dir, "now.json"), worse)
	opts := checkOpts(t)
	opts.baseline, opts.results = base, now
	var out bytes.Buffer
	err := runCheck(t.Context(), &out, &out, opts)
	if !errors.Is(err, errCheckFailed) || !strings.Contains(out.String(), "REGRESSED") {
		t.Errorf("a regression in the results file: %v\n%s", err, out.String())
	}
	opts.results = base
	if err := runCheck(t.Context(), &out, &out, opts); err != nil {
		t.Errorf("the baseline against itself: %v", err)
	}
}
