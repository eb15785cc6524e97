package render

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/weakscope/weakscope/report"
)

//go:embed html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// WriteHTML renders r as one self-contained HTML page: the environment
// (and a merged document's sources and notes), the comparison table of
// [Rows], for a document of several environments the view across them
// (see [WriteTable]), the scenario-specific metrics, every expectation
// with its verdict, and per scenario its description, explanation,
// variants (with their errors) and chart ([WriteChartSVG], inlined). The page loads nothing: no scripts, stylesheets, fonts or
// images from anywhere. The output depends only on r.
func WriteHTML(w io.Writer, r *report.Results) error {
	return writeHTML(w, r, func(i int) ([]byte, error) {
		var b bytes.Buffer
		err := WriteChartSVG(&b, r.Scenarios[i])
		return b.Bytes(), err
	})
}

// writeHTML is WriteHTML with the charts drawn by chart, given a scenario's
// index, so that WriteFiles can draw each chart once for both its file and
// the page.
func writeHTML(w io.Writer, r *report.Results, chart func(i int) ([]byte, error)) error {
	page, err := htmlData(r, chart)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

type htmlPage struct {
	Title       string
	Schema      string
	ToolVersion string
	Sweep       bool // the run swept settings: show the setting column
	// ExpectationSettings is set when some expectation names a setting.
	ExpectationSettings bool
	Started             string
	Failed              bool
	Passed              int
	FailedCount         int
	ErrorCount          int
	Env                 [][2]string
	Header              []htmlCell
	Rows                [][]htmlCell
	Metrics             []htmlMetrics
	Expectations        []htmlExpectation
	Scenarios           []htmlScenario
	// Notes are the document's, Sources a merged document's sources.
	Notes   []string
	Sources []htmlSourceRow
	// Across is the view across environments of a document measured in
	// several; nil otherwise.
	Across *htmlAcross
}

// htmlSourceRow is one of the documents a merged document was made from.
type htmlSourceRow struct {
	File, Machine, Go, Platform, GOMAXPROCS, CPUs, Tool, Started string
}

// htmlAcross is the view across environments (see acrossEnvironments).
type htmlAcross struct {
	Title, DifferencesTitle string
	Header                  []htmlCell
	Rows                    [][]htmlCell
	Differences             []string
}

type htmlCell struct {
	Text string
	// Range is the "(min–max)" a cell of a repeated variant ends with,
	// shown on a line of its own to keep the columns narrow.
	Range   string
	Num     bool
	Error   bool
	Section string // id of the scenario section the cell links to
}

type htmlMetrics struct {
	Scenario, Section, Variant, Setting string
	Values                              []string
}

type htmlExpectation struct {
	Scenario, Section, Setting, Text, Detail string
	Pass                                     bool
}

type htmlScenario struct {
	ID, Name, Description string
	Explanation           []string // paragraphs
	Params                string
	Variants              []htmlVariant
	Chart                 template.HTML
	ChartNote             string
	Retention             []htmlRetention
}

// htmlRetention is one retention path of one variant.
type htmlRetention struct {
	Variant, Setting, Path string
}

type htmlVariant struct {
	Name, Holder, Setting, Error, Profile string
	// Marks gives the cycles, as the chart counts them, of the phase
	// marks the chart shows.
	Marks   string
	Runs    int
	Settled bool
}

func htmlData(r *report.Results, chart func(i int) ([]byte, error)) (*htmlPage, error) {
	p := &htmlPage{Title: "weakscope report", Schema: r.NeededSchema(), ToolVersion: r.ToolVersion, Sweep: sweeps(r), Started: "unknown", Failed: r.Failed(), Notes: r.Notes}
	if !r.Started.IsZero() {
		p.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
		p.Title += " — " + r.Started.UTC().Format("2006-01-02 15:04 UTC")
	}
	orUnset := func(s string) string {
		if s == "" {
			return "unset"
		}
		return s
	}
	p.Env = [][2]string{
		{"Go", r.Env.GoVersion},
		{"GOOS/GOARCH", report.Platform(r.Env)},
		{"GOMAXPROCS", strconv.Itoa(r.Env.GOMAXPROCS)},
		{"CPUs", strconv.Itoa(r.Env.NumCPU)},
		{"GOGC", orUnset(r.Env.GOGC)},
		{"GOMEMLIMIT", orUnset(r.Env.GOMEMLIMIT)},
		{"weakscope", r.ToolVersion},
		{"started", p.Started},
	}
	if len(r.Sources) > 0 {
		// A merged document's Env holds what its sources share: say so
		// where they differ.
		for i, kv := range p.Env {
			if kv[1] == "" || kv[1] == "0" || i == 4 && r.Env.GOGC == "" || i == 5 && r.Env.GOMEMLIMIT == "" {
				p.Env[i][1] = "see the sources below"
			}
		}
		p.Env[len(p.Env)-1][0] = "first started"
	}
	for _, src := range r.Sources {
		hs := htmlSourceRow{
			File: src.File, Machine: src.Machine, Go: src.Env.GoVersion, Platform: report.Platform(src.Env),
			GOMAXPROCS: strconv.Itoa(src.Env.GOMAXPROCS), CPUs: strconv.Itoa(src.Env.NumCPU), Tool: src.ToolVersion, Started: "unknown",
		}
		if !src.Started.IsZero() {
			hs.Started = src.Started.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		p.Sources = append(p.Sources, hs)
	}
	if a := across(r); a != nil && len(a.Rows) > 0 {
		ha := &htmlAcross{Title: a.title(), DifferencesTitle: a.differencesTitle()}
		for i, h := range a.Header {
			ha.Header = append(ha.Header, htmlCell{Text: h, Num: i >= a.labels})
		}
		for _, row := range a.Rows {
			var cells []htmlCell
			for i, text := range row {
				c := htmlCell{Text: text, Num: i >= a.labels}
				if value, rng, ok := strings.Cut(text, " ("); ok && c.Num {
					c.Text, c.Range = value, "("+rng
				}
				cells = append(cells, c)
			}
			ha.Rows = append(ha.Rows, cells)
		}
		for _, m := range a.Differences {
			ha.Differences = append(ha.Differences, differenceLine(m))
		}
		p.Across = ha
	}

	sections := htmlSectionIDs(r)
	header, rows := Rows(r)
	firstNum := len(header) - len(tableColumns)
	for i, h := range header {
		p.Header = append(p.Header, htmlCell{Text: h, Num: i >= firstNum})
	}
	i := 0
	for si, s := range r.Scenarios {
		for _, v := range orderedVariants(s) {
			var cells []htmlCell
			for j, text := range rows[i] {
				c := htmlCell{Text: text, Num: j >= firstNum}
				if value, rng, ok := strings.Cut(text, " ("); ok && c.Num {
					c.Text, c.Range = value, "("+rng
				}
				if j == 0 {
					c.Section = sections[si]
				}
				if v.Error != "" && text == "error" {
					c.Error = true
				}
				cells = append(cells, c)
			}
			p.Rows = append(p.Rows, cells)
			i++
			if m := OtherMetrics(v); len(m) > 0 {
				p.Metrics = append(p.Metrics, htmlMetrics{Scenario: s.Name, Section: sections[si], Variant: v.Variant, Setting: v.Setting.String(), Values: m})
			}
			if v.Error != "" {
				p.ErrorCount++
			}
		}
		for _, e := range s.Expectations {
			p.Expectations = append(p.Expectations, htmlExpectation{
				Scenario: s.Name, Section: sections[si], Setting: e.Setting, Text: e.Text, Detail: e.Detail, Pass: e.Pass,
			})
			if e.Setting != "" {
				p.ExpectationSettings = true
			}
			if e.Pass {
				p.Passed++
			} else {
				p.FailedCount++
			}
		}
	}

	for si, s := range r.Scenarios {
		hs := htmlScenario{
			ID:          sections[si],
			Name:        s.Name,
			Description: s.Description,
			Explanation: htmlParagraphs(s.Explanation),
			Params:      htmlParams(s.Params),
		}
		for _, v := range orderedVariants(s) {
			hs.Variants = append(hs.Variants, htmlVariant{
				Name: v.Variant, Holder: v.Holder, Setting: v.Setting.String(), Error: v.Error,
				Profile: v.Profile, Runs: v.Runs, Settled: v.Settled, Marks: htmlMarks(v),
			})
		}
		for _, v := range orderedVariants(s) {
			for _, text := range retentionLines(v) {
				hs.Retention = append(hs.Retention, htmlRetention{Variant: v.Variant, Setting: v.Setting.String(), Path: text})
			}
		}
		switch svg, err := chart(si); {
		case errors.Is(err, ErrNothingToDraw):
			hs.ChartNote = "No chart: no variant of this scenario recorded a timeline."
		case err != nil:
			return nil, err
		default:
			svg := string(svg)
			if i := strings.Index(svg, "<svg"); i > 0 {
				svg = svg[i:] // drop the XML prolog, which has no place in HTML
			}
			// The SVG is gonum/plot's rendering of s; every text in it is
			// escaped by gonum/plot's SVG backend.
			hs.Chart = template.HTML(svg)
		}
		p.Scenarios = append(p.Scenarios, hs)
	}
	return p, nil
}

// htmlSectionIDs gives each scenario a unique fragment identifier made of
// its name's letters, digits and dashes.
func htmlSectionIDs(r *report.Results) []string {
	ids := make([]string, len(r.Scenarios))
	seen := map[string]bool{}
	for i, s := range r.Scenarios {
		id := "scenario-" + strings.Map(func(c rune) rune {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
				return c
			case c >= 'A' && c <= 'Z':
				return c + 'a' - 'A'
			}
			return '-'
		}, s.Name)
		for base, n := id, 2; seen[id]; n++ {
			id = base + "-" + strconv.Itoa(n)
		}
		seen[id] = true
		ids[i] = id
	}
	return ids
}

// htmlParagraphs splits a hard-wrapped text at its blank lines.
func htmlParagraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func htmlParams(p report.Params) string {
	parts := []string{
		strconv.Itoa(p.Objects) + " objects of " + report.FormatBytes(float64(p.Size)),
		"callers keep " + strconv.FormatFloat(p.Keep*100, 'g', 4, 64) + "%",
	}
	for _, k := range slices.Sorted(maps.Keys(p.Extra)) {
		parts = append(parts, fmt.Sprintf("%s %s", k, report.FormatMetric(k, p.Extra[k])))
	}
	return strings.Join(parts, ", ")
}

// htmlMarks lists the cycles, counted from the variant's first reading as
// in its chart, at which the variant reached each phase the chart marks.
func htmlMarks(v report.VariantResult) string {
	if v.Error != "" || len(v.Timeline) == 0 {
		return ""
	}
	var parts []string
	for _, phase := range chartPhases {
		for _, r := range v.Timeline {
			if r.Mark && r.Phase == phase {
				parts = append(parts, phase+" "+strconv.FormatUint(r.Cycle-min(r.Cycle, v.Timeline[0].Cycle), 10))
				break
			}
		}
	}
	return strings.Join(parts, " · ")
}
