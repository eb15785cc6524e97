package report_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
)

// run is a document of one scenario, "s", with variants strong and weak
// measured in env, retaining the given bytes each.
func run(goVersion, goos string, strong, weak float64) *report.Results {
	v := func(name string, x float64) report.VariantResult {
		return report.VariantResult{Variant: name, Runs: 1, Profile: "s/" + name + ".heap.pb.gz", Metrics: map[string]float64{report.RetainedBytes: x, report.Entries: 0}}
	}
	return &report.Results{Schema: report.Schema, ToolVersion: "v1", Env: report.Env{GoVersion: goVersion, GOOS: goos, GOARCH: "amd64", GOMAXPROCS: 2},
		Scenarios: []report.ScenarioResult{{
			Name: "s", Params: report.Params{Objects: 10, Size: 48},
			Expectations: []report.Expectation{{Text: "weak keeps none", Pass: true, Detail: "0 B"}},
			Variants:     []report.VariantResult{v("strong", strong), v("weak", weak)},
		}}}
}

// labels lists a merged scenario's variants as "variant [setting]".
func labels(s report.ScenarioResult) []string {
	var out []string
	for _, v := range s.Variants {
		out = append(out, v.Variant+v.Setting.Tag())
	}
	return out
}

func TestMergeToolchains(t *testing.T) {
	old, now := run("go1.26.8", "linux", 1<<20, 0), run("go1.27.3", "linux", 1<<20, 4096)
	m, err := report.Merge([]report.MergeInput{{File: "old/results.json", Results: old}, {File: "new/results.json", Results: now}}, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(m.Scenarios[0]), []string{"strong [go1.26.8]", "strong [go1.27.3]", "weak [go1.26.8]", "weak [go1.27.3]"}; !slices.Equal(got, want) {
		t.Errorf("variants %q, want %q (one variant's toolchains together)", got, want)
	}
	var exp []string
	for _, e := range m.Scenarios[0].Expectations {
		exp = append(exp, e.Setting)
	}
	if want := []string{"go1.26.8", "go1.27.3"}; !slices.Equal(exp, want) {
		t.Errorf("expectations named %q, want %q", exp, want)
	}
	if m.Env.GoVersion != "" || m.Env.GOOS != "linux" || m.Env.GOMAXPROCS != 2 {
		t.Errorf("Env %+v: want what the two share, no Go version", m.Env)
	}
	if len(m.Sources) != 2 || m.Sources[1].Go != "go1.27.3" || m.Sources[1].Machine != "" {
		t.Errorf("Sources %+v", m.Sources)
	}
	if p := m.Scenarios[0].Variants[1].Profile; p != "new/s/strong.heap.pb.gz" {
		t.Errorf("profile path %q, want it relative to where the source was", p)
	}
	if m.NeededSchema() != report.SchemaV2 {
		t.Errorf("a merged document needs %s, got %s", report.SchemaV2, m.NeededSchema())
	}
	if len(m.Notes) != 0 {
		t.Errorf("notes %q, want none", m.Notes)
	}
	if old.Scenarios[0].Variants[0].Setting != (report.Setting{}) {
		t.Error("Merge changed its input")
	}
}

func TestMergeMachines(t *testing.T) {
	docs := []report.MergeInput{
		{File: "a.json", Results: run("go1.26.8", "linux", 1, 0)},
		{File: "b.json", Results: run("go1.26.8", "darwin", 1, 0)},
		{File: "c.json", Results: run("go1.27.3", "darwin", 1, 0)},
	}
	m, err := report.Merge(docs, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"strong [linux/amd64 go1.26.8]", "strong [darwin/amd64 go1.26.8]", "strong [darwin/amd64 go1.27.3]",
		"weak [linux/amd64 go1.26.8]", "weak [darwin/amd64 go1.26.8]", "weak [darwin/amd64 go1.27.3]",
	}
	if got := labels(m.Scenarios[0]); !slices.Equal(got, want) {
		t.Errorf("variants %q, want %q", got, want)
	}
	if m.Env.GOOS != "" || m.Env.GoVersion != "" {
		t.Errorf("Env %+v keeps what differs", m.Env)
	}
}

// Two runners of the same platform and Go version are told apart by their
// artifacts' directories; the same file twice is refused.
func TestMergeSameEnvironment(t *testing.T) {
	a, b := run("go1.26.8", "linux", 1, 0), run("go1.26.8", "linux", 2, 0)
	m, err := report.Merge([]report.MergeInput{{File: filepath.Join("ubuntu-22.04", "results.json"), Results: a}, {File: filepath.Join("ubuntu-24.04", "results.json"), Results: b}}, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(m.Scenarios[0])[:2], []string{"strong [ubuntu-22.04]", "strong [ubuntu-24.04]"}; !slices.Equal(got, want) {
		t.Errorf("variants %q, want %q", got, want)
	}
	_, err = report.Merge([]report.MergeInput{{File: "r.json", Results: a}, {File: "r.json", Results: b}}, report.MergeOptions{})
	if !errors.Is(err, report.ErrMismatch) || !strings.Contains(err.Error(), "r.json and r.json") {
		t.Errorf("the same file twice: %v, want a mismatch naming it", err)
	}
}

func TestMergeParams(t *testing.T) {
	a, b := run("go1.26.8", "linux", 1, 0), run("go1.27.3", "linux", 1, 0)
	b.Scenarios[0].Params.Objects = 20
	inputs := []report.MergeInput{{File: "a.json", Results: a}, {File: "b.json", Results: b}}
	_, err := report.Merge(inputs, report.MergeOptions{})
	if !errors.Is(err, report.ErrMismatch) || !strings.Contains(err.Error(), "objects=10 size=48 B in a.json, objects=20 size=48 B in b.json") {
		t.Errorf("different parameters: %v", err)
	}
	m, err := report.Merge(inputs, report.MergeOptions{MixedParams: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "s ran at different parameters, merged anyway") {
		t.Errorf("notes %q", m.Notes)
	}
}

// A scenario some documents lack is merged with a note; a document that
// names its toolchains itself (a run with --go) keeps them.
func TestMergeUnevenDocuments(t *testing.T) {
	a := run("go1.26.8", "linux", 1, 0)
	b := run("go1.26.8", "linux", 1, 0)
	for i := range b.Scenarios[0].Variants {
		b.Scenarios[0].Variants[i].Setting.Go = "go1.27.3"
	}
	extra := b.Scenarios[0]
	extra.Name = "t"
	b.Scenarios = append(b.Scenarios, extra)
	m, err := report.Merge([]report.MergeInput{{File: "a.json", Results: a}, {File: "b.json", Results: b}}, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(m.Scenarios[0]), []string{"strong [go1.26.8]", "strong [go1.27.3]", "weak [go1.26.8]", "weak [go1.27.3]"}; !slices.Equal(got, want) {
		t.Errorf("variants %q, want %q", got, want)
	}
	if len(m.Notes) != 1 || m.Notes[0] != "t is only in b.json" {
		t.Errorf("notes %q", m.Notes)
	}
	if m.Sources[1].Go != "" {
		t.Errorf("b.json's variants name their toolchain; its source says %q", m.Sources[1].Go)
	}
}

// A document writes the oldest schema that holds it, and reads back.
func TestSchemaVersions(t *testing.T) {
	r := run("go1.26.8", "linux", 1, 0)
	var b bytes.Buffer
	if err := r.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"schema": "weakscope/results/v1"`) || strings.Contains(b.String(), `"go"`) {
		t.Errorf("a plain run is not written as v1:\n%s", b.String())
	}
	r.Scenarios[0].Variants[1].Setting.Go = "go1.27.3"
	b.Reset()
	if err := r.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"schema": "weakscope/results/v2"`) {
		t.Errorf("a run with a toolchain is not written as v2")
	}
	got, err := report.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != report.SchemaV2 || got.Scenarios[0].Variants[1].Setting.Go != "go1.27.3" {
		t.Errorf("read back %s, %+v", got.Schema, got.Scenarios[0].Variants[1].Setting)
	}
}

// A baseline recorded with the program's own Go judges every toolchain of
// a run with --go; its variants are not "missing".
func TestCompareToolchainsAgainstPlainBaseline(t *testing.T) {
	base := run("go1.26.8", "linux", 1<<20, 0)
	now := run("go1.26.8", "linux", 1<<20, 0)
	newer := now.Scenarios[0].Variants
	for _, v := range slices.Clone(newer) {
		v.Setting.Go = "go1.27.3"
		if v.Variant == "weak" {
			v.Metrics = map[string]float64{report.RetainedBytes: 1 << 20, report.Entries: 0}
		}
		now.Scenarios[0].Variants = append(now.Scenarios[0].Variants, v)
	}
	for i := range newer {
		now.Scenarios[0].Variants[i].Setting.Go = "go1.26.8"
	}
	c := report.Compare(base, now, report.DefaultCompareOptions())
	got := map[string]report.Verdict{}
	for _, m := range c.Metrics {
		got[m.Name()] = m.Verdict
	}
	want := map[string]report.Verdict{
		"s/strong [go1.26.8] retained_bytes": report.VerdictSame, "s/weak [go1.26.8] retained_bytes": report.VerdictSame,
		"s/strong [go1.27.3] retained_bytes": report.VerdictSame, "s/weak [go1.27.3] retained_bytes": report.VerdictRegressed,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if n := c.Count(); n[report.VerdictMissing] != 0 || n[report.VerdictNew] != 0 {
		t.Errorf("verdicts %v: want none missing or new", n)
	}
	if !slices.ContainsFunc(c.Warnings, func(w string) bool {
		return strings.Contains(w, "compared across toolchains: go1.27.3 now against the baseline's go1.26.8")
	}) {
		t.Errorf("warnings %q: want one saying go1.27.3 was judged against go1.26.8", c.Warnings)
	}
}

// A merged baseline (several machines and toolchains) checked by one
// machine's run: that machine's part is compared, the rest is named once.
func TestCompareAgainstMergedBaseline(t *testing.T) {
	base, err := report.Merge([]report.MergeInput{
		{File: "l6.json", Results: run("go1.26.8", "linux", 1<<20, 0)},
		{File: "l7.json", Results: run("go1.27.3", "linux", 1<<20, 0)},
		{File: "d6.json", Results: run("go1.26.8", "darwin", 1<<20, 0)},
	}, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := run("go1.27.3", "linux", 1<<20, 1<<20)
	c := report.Compare(base, now, report.DefaultCompareOptions())
	got := map[string]report.Verdict{}
	for _, m := range c.Metrics {
		got[m.Name()] = m.Verdict
	}
	if got["s/weak retained_bytes"] != report.VerdictRegressed || got["s/strong retained_bytes"] != report.VerdictSame || len(got) != 4 {
		t.Errorf("verdicts %v: want linux/amd64 go1.27.3's compared, weak regressed", got)
	}
	if !slices.ContainsFunc(c.Warnings, func(w string) bool {
		return strings.Contains(w, "the baseline also has results for linux/amd64 go1.26.8; darwin/amd64 go1.26.8, not measured now")
	}) {
		t.Errorf("warnings %q: want the other environments named", c.Warnings)
	}
}

// A merged document merges again: its variants keep their machines and
// toolchains, the new document's get its own.
func TestMergeMerged(t *testing.T) {
	first, err := report.Merge([]report.MergeInput{
		{File: "l.json", Results: run("go1.26.8", "linux", 1, 0)},
		{File: "d.json", Results: run("go1.26.8", "darwin", 1, 0)},
	}, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := report.Merge([]report.MergeInput{{File: "merged.json", Results: first}, {File: "w.json", Results: run("go1.27.3", "windows", 1, 0)}}, report.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"strong [linux/amd64 go1.26.8]", "strong [darwin/amd64 go1.26.8]", "strong [windows/amd64 go1.27.3]"}
	if got := labels(m.Scenarios[0])[:3]; !slices.Equal(got, want) {
		t.Errorf("variants %q, want %q", got, want)
	}
}
