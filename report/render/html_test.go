package render_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

func renderHTML(t *testing.T, r *report.Results) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.WriteHTML(&b, r); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return b.String()
}

// The report of each fixture matches its golden file, and rendering it
// again gives the same bytes.
func TestHTMLGolden(t *testing.T) {
	for _, fx := range []string{"results", "results-sweep", "results-go", "results-merged"} {
		t.Run(fx, func(t *testing.T) {
			r := chartFixture(t, fx+".json")
			got := renderHTML(t, r)
			if again := renderHTML(t, r); again != got {
				t.Fatal("two renderings of the same results differ")
			}
			golden(t, "report-"+fx+".html", []byte(got))
		})
	}
}

// References the page must not have: it has to work offline, from a file,
// as one file.
var (
	remoteRef      = regexp.MustCompile(`(?i)\b(src|href|srcset|poster|action|data|background)\s*=\s*["']?\s*(https?:)?//`)
	remoteCSS      = regexp.MustCompile(`(?i)url\(\s*["']?\s*(https?:)?//|@import`)
	scriptSrc      = regexp.MustCompile(`(?i)<script[^>]*\bsrc\s*=`)
	stylesheetLink = regexp.MustCompile(`(?i)<link\b[^>]*\brel\s*=\s*["']?stylesheet`)
	externalTag    = regexp.MustCompile(`(?i)<(iframe|object|embed|img|link|base)\b`)
	svgElement     = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)
	htmlElementID  = regexp.MustCompile(`\bid="([^"]*)"`)
)

// checkSelfContained fails the test for anything that would make the page
// load something, and checks what it must show of r.
func checkSelfContained(t *testing.T, r *report.Results, page string) {
	t.Helper()
	for _, re := range []*regexp.Regexp{remoteRef, remoteCSS, scriptSrc, stylesheetLink, externalTag} {
		if m := re.FindString(page); m != "" {
			t.Errorf("the page loads something from elsewhere: %q (%s)", m, re)
		}
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page has a script; it needs none")
	}

	svgs := svgElement.FindAllString(page, -1)
	if len(svgs) != len(r.Scenarios) {
		t.Errorf("%d <svg> elements, want one per scenario (%d)", len(svgs), len(r.Scenarios))
	}
	for i, svg := range svgs {
		if err := xmlWellFormed(svg); err != nil {
			t.Errorf("inline SVG %d is not well-formed: %v", i, err)
		}
	}

	text := html.UnescapeString(page)
	for _, s := range r.Scenarios {
		if !strings.Contains(text, s.Name) {
			t.Errorf("scenario %q is not on the page", s.Name)
		}
		if !strings.Contains(text, s.Description) {
			t.Errorf("the description of %q is not on the page", s.Name)
		}
		for _, e := range s.Expectations {
			if !strings.Contains(text, e.Text) {
				t.Errorf("expectation %q of %s is not on the page", e.Text, s.Name)
			}
		}
		for _, v := range s.Variants {
			if v.Error != "" && !strings.Contains(text, v.Error) {
				t.Errorf("the error of %s/%s is not on the page", s.Name, v.Variant)
			}
		}
	}
	for _, want := range []string{r.Env.GoVersion, r.Env.GOOS + "/" + r.Env.GOARCH, r.ToolVersion, "GOMAXPROCS", "GOGC", "GOMEMLIMIT"} {
		if !strings.Contains(text, want) {
			t.Errorf("environment %q is not on the page", want)
		}
	}
	header, rows := render.Rows(r)
	for _, h := range header {
		if !strings.Contains(text, ">"+h+"</th>") {
			t.Errorf("summary column %q is missing", h)
		}
	}
	for _, row := range rows {
		for _, cell := range row {
			if value, _, _ := strings.Cut(cell, " ("); !strings.Contains(text, value) {
				t.Errorf("summary cell %q is missing", cell)
			}
		}
	}
	ids := map[string]bool{}
	for _, m := range htmlElementID.FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("id %q is not unique", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("link to #%s, which is not on the page", m[1])
		}
	}
}

func xmlWellFormed(s string) error {
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// The report is one self-contained file with a chart per scenario and
// every scenario, expectation and summary cell of the results.
func TestHTMLSelfContained(t *testing.T) {
	for _, fx := range []string{"results.json", "results-sweep.json"} {
		t.Run(fx, func(t *testing.T) {
			r := chartFixture(t, fx)
			checkSelfContained(t, r, renderHTML(t, r))
		})
	}
}

// The checks above can fail: a page that loads things is caught.
func TestHTMLSelfContainedCheckCatches(t *testing.T) {
	r := chartFixture(t, "results.json")
	r.Scenarios = r.Scenarios[:1]
	page := renderHTML(t, r)
	for _, bad := range []string{
		`<img src="https://example.com/x.png">`,
		`<script src="app.js"></script>`,
		`<link rel=stylesheet href="//cdn.example.com/x.css">`,
		`<style>@import "x.css";</style>`,
		`<a href="http://example.com/">x</a>`,
	} {
		planted := strings.Replace(page, "</main>", bad+"</main>", 1)
		caught := false
		for _, re := range []*regexp.Regexp{remoteRef, remoteCSS, scriptSrc, stylesheetLink, externalTag} {
			caught = caught || re.MatchString(planted)
		}
		if !caught {
			t.Errorf("%q is not caught", bad)
		}
	}
}

// A sweep shows the setting column; failing expectations and variants that
// could not be measured are shown as such, in words as well as colour.
func TestHTMLFailuresAndErrors(t *testing.T) {
	r := chartFixture(t, "results-sweep.json")
	r.Scenarios = slices.Clone(r.Scenarios)
	s := &r.Scenarios[1]
	s.Variants = slices.Clone(s.Variants)
	s.Variants[2].Error = "worker exited: signal: killed <after 30s>"
	s.Variants[2].Metrics, s.Variants[2].Timeline = nil, nil
	s.Expectations = slices.Clone(s.Expectations)
	s.Expectations[0].Pass = false
	page := renderHTML(t, r)
	checkSelfContained(t, r, page)

	for _, want := range []string{
		`<th scope="col">setting</th>`,
		`class="verdict fail">✗ FAIL</span>`,
		`class="verdict fail">✗ ERROR</span>`,
		`worker exited: signal: killed &lt;after 30s&gt;`,
		`<tr class="failed">`,
		`not drawn: cleanup (gogc=off): error`,
		`1 variant could not be measured`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `class="banner pass"`) {
		t.Error("the banner says PASS for a run with a failure")
	}
	if n := strings.Count(page, "✗ FAIL"); n != 2 { // the banner and the expectation
		t.Errorf("%d FAIL verdicts, want 2", n)
	}

	// A scenario none of whose variants has a timeline gets a note instead
	// of a chart.
	for i := range s.Variants {
		s.Variants[i].Error = "crashed"
	}
	page = renderHTML(t, r)
	if n := len(svgElement.FindAllString(page, -1)); n != len(r.Scenarios)-1 {
		t.Errorf("%d charts, want %d", n, len(r.Scenarios)-1)
	}
	if !strings.Contains(page, "No chart: no variant of this scenario recorded a timeline.") {
		t.Error("no note for the scenario without a chart")
	}
}

// Everything taken from the results is escaped.
func TestHTMLEscapes(t *testing.T) {
	r := chartFixture(t, "results.json")
	r.Scenarios = slices.Clone(r.Scenarios[:1])
	s := &r.Scenarios[0]
	s.Description = `<script>alert("d")</script>`
	s.Explanation = `<img src=x onerror=alert(1)>`
	s.Expectations = []report.Expectation{{Text: `a <b>bold</b> claim`, Detail: `x & y`, Pass: true}}
	s.Variants = slices.Clone(s.Variants)
	s.Variants[0].Variant = `<i>v</i>`
	r.ToolVersion = `"><script>alert(2)</script>`
	page := renderHTML(t, r)
	for _, raw := range []string{"<script", "<img", "<b>", "<i>v"} {
		if strings.Contains(page, raw) {
			t.Errorf("%q reached the page unescaped", raw)
		}
	}
	checkSelfContained(t, r, page)
}
