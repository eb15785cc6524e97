package render_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
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

func TestComparisonRenderers(t *testing.T) {
	base := results(variant("v", map[string][]float64{report.RetainedBytes: {1 << 20}}))
	now := results(variant("v|x", map[string][]float64{report.RetainedBytes: {1 << 20}}), variant("v", map[string][]float64{report.RetainedBytes: {4 << 20}}))
	c := report.Compare(base, now, report.DefaultCompareOptions())

	var text bytes.Buffer
	if err := render.WriteComparison(&text, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "REGRESSED") || !strings.HasSuffix(text.String(), c.Summary()+"\n") {
		t.Errorf("text:\n%s", text.String())
	}

	var md bytes.Buffer
	if err := render.WriteComparisonMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.String(), "### ❌ weakscope check") || !strings.Contains(md.String(), `v\|x`) {
		t.Errorf("markdown:\n%s", md.String())
	}

	var junit bytes.Buffer
	if err := render.WriteJUnit(&junit, c); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, junit.String())
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Tests != 3 || doc.Suites[0].Failures != 1 {
		t.Errorf("JUnit suites %+v", doc.Suites)
	}
}

// The step summary stays under GitHub's 1 MiB limit however many metrics.
func TestComparisonMarkdownSize(t *testing.T) {
	var vs []report.VariantResult
	for range 20000 {
		vs = append(vs, variant(strings.Repeat("v", 40), map[string][]float64{report.RetainedBytes: {1}}))
	}
	c := report.Compare(results(), results(vs...), report.DefaultCompareOptions())
	var md bytes.Buffer
	if err := render.WriteComparisonMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	if md.Len() >= 1<<20 || !strings.Contains(md.String(), "more rows left out") {
		t.Errorf("summary of %d bytes", md.Len())
	}
}
