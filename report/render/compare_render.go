package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/weakscope/weakscope/report"
)

// comparisonAlign right-aligns the numbers of the comparison table.
var comparisonAlign = []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft}

// comparisonRows is the table of every compared metric.
func comparisonRows(c *report.Comparison) (header []string, rows [][]string) {
	header = []string{"scenario", "variant", "metric", "baseline", "now", "change", "verdict", "detail"}
	for _, m := range c.Metrics {
		variant := m.Variant + m.Setting.Tag()
		base, now, change := "", "", ""
		if m.Verdict != report.VerdictMissing {
			now = report.FormatMetric(m.Metric, m.Now)
		}
		if m.Verdict != report.VerdictNew {
			base = report.FormatMetric(m.Metric, m.Baseline)
		}
		if m.Verdict != report.VerdictNew && m.Verdict != report.VerdictMissing {
			change = formatChange(m.Change)
		}
		rows = append(rows, []string{m.Scenario, variant, m.Metric, base, now, change, string(m.Verdict), m.Detail})
	}
	return header, rows
}

func formatChange(x float64) string {
	switch {
	case x == 0:
		return "0%"
	case math.IsInf(x, 1):
		return "+∞"
	case math.IsInf(x, -1):
		return "−∞"
	}
	return fmt.Sprintf("%+.1f%%", 100*x)
}

// WriteComparison renders a check as text: the table of compared metrics,
// then problems, warnings and failed expectations, then the one-line verdict.
func WriteComparison(w io.Writer, c *report.Comparison) error {
	header, rows := comparisonRows(c)
	header, rows, align, _ := Fit(Width(w), header, rows, comparisonAlign, []int{len(header) - 1})
	if err := renderTable(w, header, rows, align, false); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, p := range c.Problems {
		fmt.Fprintf(&b, "PROBLEM %s\n", p)
	}
	for _, wn := range c.Warnings {
		fmt.Fprintf(&b, "WARNING %s\n", wn)
	}
	for _, e := range c.FailedExpectations() {
		fmt.Fprintf(&b, "FAIL %s%s: %s (%s)\n", e.Scenario, bracket(e.Setting), e.Text, e.Detail)
	}
	b.WriteString(c.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// maxSummaryBytes keeps the Markdown summary under GitHub's 1 MiB limit
// for a step summary, with room to spare.
const maxSummaryBytes = 900 << 10

// WriteComparisonMarkdown renders a check as Markdown, ready for
// $GITHUB_STEP_SUMMARY: the verdict first, then problems, warnings and
// failed expectations, then the table. It stays under 1 MiB: rows beyond
// that are left out, and the summary says how many.
func WriteComparisonMarkdown(w io.Writer, c *report.Comparison) error {
	var b strings.Builder
	icon := "✅"
	if c.Failed() {
		icon = "❌"
	}
	fmt.Fprintf(&b, "### %s weakscope check\n\n%s\n\n", icon, mdEscape(c.Summary()))
	for _, p := range c.Problems {
		fmt.Fprintf(&b, "- ⚠️ **problem**: %s\n", mdEscape(p))
	}
	for _, wn := range c.Warnings {
		fmt.Fprintf(&b, "- ℹ️ warning: %s\n", mdEscape(wn))
	}
	for _, e := range c.FailedExpectations() {
		fmt.Fprintf(&b, "- ❌ `%s`%s: %s (%s)\n", e.Scenario, mdEscape(bracket(e.Setting)), mdEscape(e.Text), mdEscape(e.Detail))
	}
	if len(c.Problems)+len(c.Warnings)+len(c.FailedExpectations()) > 0 {
		b.WriteString("\n")
	}
	header, rows := comparisonRows(c)
	var tb strings.Builder
	if err := renderTable(&tb, header, rows, comparisonAlign, true); err != nil {
		return err
	}
	table := tb.String()
	if room := maxSummaryBytes - b.Len(); len(table) > room {
		lines := strings.SplitAfter(table, "\n")
		kept := 0
		for n := 0; kept < len(lines) && n+len(lines[kept]) < room-200; kept++ {
			n += len(lines[kept])
		}
		table = strings.Join(lines[:kept], "") + fmt.Sprintf("\n(%d more rows left out to stay under 1 MiB)\n", len(lines)-kept)
	}
	b.WriteString(table)
	_, err := io.WriteString(w, b.String())
	return err
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Failure *junitFailure `xml:"failure,omitempty"`
	Skipped *struct{}     `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit renders a check as JUnit XML: one test suite per scenario, one
// test case per variant × metric and per expectation; regressions, failed
// expectations and problems are failures, new and missing metrics skipped.
func WriteJUnit(w io.Writer, c *report.Comparison) error {
	var suites []junitSuite
	index := map[string]int{}
	add := func(scenario string, tc junitCase) {
		i, ok := index[scenario]
		if !ok {
			i = len(suites)
			index[scenario] = i
			suites = append(suites, junitSuite{Name: "weakscope/" + scenario})
		}
		s := &suites[i]
		s.Tests++
		if tc.Failure != nil {
			s.Failures++
		}
		s.Cases = append(s.Cases, tc)
	}
	for _, m := range c.Metrics {
		tc := junitCase{Class: "weakscope." + m.Scenario, Name: strings.TrimPrefix(m.Name(), m.Scenario+"/")}
		switch m.Verdict {
		case report.VerdictRegressed:
			msg := fmt.Sprintf("%s regressed: baseline %s, now %s (%s, %s)", m.Name(), report.FormatMetric(m.Metric, m.Baseline), report.FormatMetric(m.Metric, m.Now), formatChange(m.Change), m.Detail)
			tc.Failure = &junitFailure{Message: msg, Body: msg}
		case report.VerdictNew, report.VerdictMissing:
			tc.Skipped = &struct{}{}
		}
		add(m.Scenario, tc)
	}
	for _, e := range c.Expectations {
		tc := junitCase{Class: "weakscope." + e.Scenario, Name: "expectation: " + e.Text + bracket(e.Setting)}
		if !e.Pass {
			tc.Failure = &junitFailure{Message: e.Detail, Body: e.Detail}
		}
		add(e.Scenario, tc)
	}
	for _, p := range c.Problems {
		add("check", junitCase{Class: "weakscope.check", Name: "problem", Failure: &junitFailure{Message: p, Body: p}})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: suites}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
