package render_test

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

// A metric that differs between toolchains beyond check's tolerance is
// marked in the table across environments and listed below it, in every
// view; one within the tolerance is not.
func TestAcrossEnvironmentsDifferences(t *testing.T) {
	r := load(t, "results-go")
	for i, v := range r.Scenarios[1].Variants { // tiny-objects
		if v.Variant == "tiny-8B" && v.Setting.Go == "go1.27.3" {
			scale(&r.Scenarios[1].Variants[i], report.RetainedBytes, 4)
		}
	}
	var text, md bytes.Buffer
	if err := render.WriteTable(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := render.WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	page := renderHTML(t, r)
	line := "tiny-objects/tiny-8B [go1.27.3] retained_bytes: 80.7 KiB → 322.7 KiB (+300.0%), regressed"
	for name, out := range map[string]string{"table": text.String(), "markdown": md.String(), "html": html.UnescapeString(page)} {
		if !strings.Contains(out, line) {
			t.Errorf("%s does not list the difference %q", name, line)
		}
		if !strings.Contains(out, "Differences from go1.26.8 beyond check's tolerance") {
			t.Errorf("%s does not introduce the differences", name)
		}
		if strings.Count(out, "regressed") != 1 {
			t.Errorf("%s lists %d differences, want 1", name, strings.Count(out, "regressed"))
		}
	}
	if !regexp.MustCompile(`(?m)^│ tiny-objects │ tiny-8B +│ +80.7 KiB \(.*\) │ 322.7 KiB \(.*\) \* │$`).MatchString(text.String()) {
		t.Errorf("the table across environments does not mark the difference:\n%s", text.String())
	}
}

// A run in one environment has no view across environments.
func TestAcrossEnvironmentsOnlyForSeveral(t *testing.T) {
	var b bytes.Buffer
	if err := render.WriteTable(&b, load(t, "results")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Across environments") {
		t.Error("a run in one environment shows a view across environments")
	}
}

// scale multiplies a metric of v, its range and its samples by f.
func scale(v *report.VariantResult, metric string, f float64) {
	v.Metrics[metric] *= f
	if _, ok := v.Min[metric]; ok {
		v.Min[metric] *= f
		v.Max[metric] *= f
	}
	for i := range v.Samples[metric] {
		v.Samples[metric][i] *= f
	}
}
