package render

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/weakscope/weakscope/report"
)

// acrossEnvironments is what every view shows of a document measured in
// several environments (machines, toolchains): retained bytes with one
// column per environment, and every metric that differs from the first
// environment beyond check's default tolerance.
type acrossEnvironments struct {
	// First names the environment the others are compared with.
	First string
	// Header and Rows are the table: scenario, variant, the runtime
	// setting when the document swept one, then one column per
	// environment.
	Header []string
	Rows   [][]string
	// Differences are the metrics beyond the tolerance.
	Differences []report.MetricComparison
	// labels is how many columns come before the environments'.
	labels int
}

// differsMark follows a cell whose retained bytes differ from the first
// environment's beyond check's tolerance.
const differsMark = " *"

// across gathers the view of r across its environments, or returns nil
// for a document of one environment.
func across(r *report.Results) *acrossEnvironments {
	envs := r.Environments()
	if len(envs) < 2 {
		return nil
	}
	a := &acrossEnvironments{First: envs[0].String()}
	for _, m := range report.CompareEnvironments(r, report.DefaultCompareOptions()) {
		switch m.Verdict {
		case report.VerdictRegressed, report.VerdictImproved, report.VerdictVaries:
			a.Differences = append(a.Differences, m)
		}
	}
	beyond := map[string]bool{}
	for _, m := range a.Differences {
		if m.Metric == report.RetainedBytes && m.Verdict != report.VerdictVaries {
			beyond[m.Scenario+"\x00"+m.Variant+"\x00"+m.Setting.String()] = true
		}
	}
	runtime := dimensionsOf(r).runtime
	a.Header = []string{"scenario", "variant"}
	if runtime {
		a.Header = append(a.Header, "setting")
	}
	a.labels = len(a.Header)
	for _, e := range envs {
		a.Header = append(a.Header, e.String())
	}
	retained := column{"retained", report.RetainedBytes, metricFormat(report.RetainedBytes)}
	for _, s := range r.Scenarios {
		var keys []report.VariantResult // a variant and runtime setting each, in table order
		cells := map[string][]string{}
		for _, v := range orderedVariants(s) {
			key := v.Variant + "\x00" + v.Setting.Runtime().String()
			if _, ok := cells[key]; !ok {
				keys = append(keys, v)
				cells[key] = make([]string, len(envs))
			}
			text := cell(v, retained)
			if beyond[s.Name+"\x00"+v.Variant+"\x00"+v.Setting.String()] {
				text += differsMark
			}
			cells[key][slices.Index(envs, v.Setting.Environment())] = text
		}
		for _, v := range keys {
			row := []string{s.Name, v.Variant}
			if runtime {
				row = append(row, v.Setting.Runtime().String())
			}
			for _, c := range cells[v.Variant+"\x00"+v.Setting.Runtime().String()] {
				if c == "" {
					c = "—"
				}
				row = append(row, c)
			}
			a.Rows = append(a.Rows, row)
		}
	}
	return a
}

// align right-aligns the environments' columns.
func (a *acrossEnvironments) align() []tw.Align {
	out := make([]tw.Align, len(a.Header))
	for i := range out {
		out[i] = tw.AlignLeft
		if i >= a.labels {
			out[i] = tw.AlignRight
		}
	}
	return out
}

// title is the line above the table.
func (a *acrossEnvironments) title() string {
	return fmt.Sprintf("Across environments: retained, one column each (%s: differs from %s beyond check's tolerance)", strings.TrimSpace(differsMark), a.First)
}

// differenceLine is one difference, as the text and Markdown views list it.
func differenceLine(m report.MetricComparison) string {
	return fmt.Sprintf("%s/%s%s %s: %s → %s (%s), %s", m.Scenario, m.Variant, m.Setting.Tag(), m.Metric,
		report.FormatMetric(m.Metric, m.Baseline), report.FormatMetric(m.Metric, m.Now), formatChange(m.Change), strings.ToLower(string(m.Verdict)))
}

// differencesTitle introduces the list of differences, or says there are
// none.
func (a *acrossEnvironments) differencesTitle() string {
	if len(a.Differences) == 0 {
		return fmt.Sprintf("No metric differs from %s beyond check's tolerance.", a.First)
	}
	return fmt.Sprintf("Differences from %s beyond check's tolerance (as weakscope check would judge them):", a.First)
}

// writeAcross writes the text view: the table, then the differences.
func writeAcross(w io.Writer, r *report.Results) error {
	a := across(r)
	if a == nil || len(a.Rows) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "\n%s:\n", a.title()); err != nil {
		return err
	}
	header, rows, align, _ := Fit(Width(w), a.Header, a.Rows, a.align(), nil)
	if err := renderTable(w, header, rows, align, false); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", a.differencesTitle())
	for _, m := range a.Differences {
		fmt.Fprintf(&b, "  %s\n", differenceLine(m))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAcrossMarkdown writes the Markdown view: the table, then the
// differences as a list.
func writeAcrossMarkdown(w io.Writer, r *report.Results) error {
	a := across(r)
	if a == nil || len(a.Rows) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "\n**%s**\n\n", mdEscape(a.title())); err != nil {
		return err
	}
	if err := renderTable(w, a.Header, a.Rows, a.align(), true); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", mdEscape(a.differencesTitle()))
	if len(a.Differences) > 0 {
		b.WriteString("\n")
	}
	for _, m := range a.Differences {
		fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(differenceLine(m), "`", "'"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeNotes writes a document's notes, one line each.
func writeNotes(w io.Writer, r *report.Results) error {
	var b strings.Builder
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "NOTE %s\n", n)
	}
	if b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(w, "\n"+b.String())
	return err
}
