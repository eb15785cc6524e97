package render

import (
	"fmt"
	"github.com/mattn/go-runewidth"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/weakscope/weakscope/report"
)

// column is one column of the comparison table: a metric and how to show it.
type column struct {
	title  string
	metric string
	format func(float64) string
}

var tableColumns = []column{
	{"retained", report.RetainedBytes, metricFormat(report.RetainedBytes)},
	{"objects", report.RetainedObjects, metricFormat(report.RetainedObjects)},
	{"entries", report.Entries, metricFormat(report.Entries)},
	{"cycles", report.CyclesToRelease, metricFormat(report.CyclesToRelease)},
	{"cleanups", report.CleanupsRun, metricFormat(report.CleanupsRun)},
	{"peak heap", report.PeakHeapBytes, metricFormat(report.PeakHeapBytes)},
	{"wall", report.WallNS, metricFormat(report.WallNS)},
	{"cpu", report.CPUNS, metricFormat(report.CPUNS)},
}

// Rows builds the comparison table: a header and one row per scenario ×
// variant × setting. A machine column appears when the results were merged
// from several machines, a go column when variants ran under several
// toolchains (or one other than the program's own), and a setting column
// when a run swept GOGC or GOMEMLIMIT; a variant run several times shows
// its median and range. Rows follow [report.VariantOrder], so that one
// variant's machines and toolchains sit together.
func Rows(r *report.Results) (header []string, rows [][]string) {
	dims := dimensionsOf(r)
	header = append([]string{"scenario", "variant"}, dims.titles()...)
	for _, c := range tableColumns {
		header = append(header, c.title)
	}
	for _, s := range r.Scenarios {
		for _, v := range orderedVariants(s) {
			row := append([]string{s.Name, v.Variant}, dims.cells(v.Setting)...)
			for _, c := range tableColumns {
				row = append(row, cell(v, c))
			}
			rows = append(rows, row)
		}
	}
	return header, rows
}

// dimensions says which parts of a setting vary in a document, and so get
// a column of their own.
type dimensions struct{ machine, goVersion, runtime bool }

func dimensionsOf(r *report.Results) dimensions {
	var d dimensions
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			d.machine = d.machine || v.Setting.Machine != ""
			d.goVersion = d.goVersion || v.Setting.Go != ""
			d.runtime = d.runtime || v.Setting.Runtime() != (report.Setting{})
		}
	}
	return d
}

func (d dimensions) titles() []string {
	var out []string
	if d.machine {
		out = append(out, "machine")
	}
	if d.goVersion {
		out = append(out, "go")
	}
	if d.runtime {
		out = append(out, "setting")
	}
	return out
}

func (d dimensions) cells(s report.Setting) []string {
	var out []string
	if d.machine {
		out = append(out, s.Machine)
	}
	if d.goVersion {
		out = append(out, s.Go)
	}
	if d.runtime {
		out = append(out, s.Runtime().String())
	}
	return out
}

// orderedVariants is s's variants in the order tables list them.
func orderedVariants(s report.ScenarioResult) []report.VariantResult {
	vs := slices.Clone(s.Variants)
	slices.SortStableFunc(vs, report.VariantOrder(s.Variants))
	return vs
}

func cell(v report.VariantResult, c column) string {
	if v.Error != "" {
		if c.metric == report.RetainedBytes {
			return "error"
		}
		return ""
	}
	x, ok := v.Metrics[c.metric]
	if !ok {
		return "—"
	}
	s := c.format(x)
	lo, okLo := v.Min[c.metric]
	hi, okHi := v.Max[c.metric]
	if v.Runs > 1 && okLo && okHi && lo != hi {
		s += " (" + c.format(lo) + "–" + c.format(hi) + ")"
	}
	return s
}

func sweeps(r *report.Results) bool {
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if v.Setting != (report.Setting{}) {
				return true
			}
		}
	}
	return false
}

// WriteTable renders the comparison table as aligned text, numbers
// right-aligned, followed by the document's notes, the scenario-specific
// metrics, for a document of several environments the retained bytes
// with one column per environment and the metrics that differ from the
// first beyond check's tolerance, the retention paths, and each
// expectation with its verdict and the variants that failed to run.
func WriteTable(w io.Writer, r *report.Results) error {
	header, rows := Rows(r)
	align := alignments(len(header))
	// On a narrow terminal the columns that matter least go first.
	header, rows, align, dropped := Fit(Width(w), header, rows, align, nil, "wall", "peak heap", "cleanups", "cpu", "objects")
	if err := renderTable(w, header, rows, align, false); err != nil {
		return err
	}
	if len(dropped) > 0 {
		if _, err := fmt.Fprintf(w, "(left out to fit %d columns: %s; every metric is in --format csv and results.json)\n", Width(w), strings.Join(dropped, ", ")); err != nil {
			return err
		}
	}
	if err := writeNotes(w, r); err != nil {
		return err
	}
	if err := writeOtherMetrics(w, r); err != nil {
		return err
	}
	if err := writeAcross(w, r); err != nil {
		return err
	}
	if err := WriteRetention(w, r); err != nil {
		return err
	}
	return WriteExpectations(w, r)
}

// standardMetrics are shown in the main table or are bookkeeping.
var standardMetrics = map[string]bool{
	report.RetainedBytes: true, report.RetainedObjects: true, report.Entries: true, report.CyclesToRelease: true,
	report.CleanupsRun: true, report.PeakHeapBytes: true, report.WallNS: true, report.CPUNS: true, "held_bytes": true, "settle_cycles": true, "automatic_cycles": true,
}

// OtherMetrics returns a variant's scenario-specific metrics as
// "name=value" pairs in name order.
func OtherMetrics(v report.VariantResult) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(v.Metrics)) {
		if !standardMetrics[k] {
			out = append(out, k+"="+report.FormatMetric(k, v.Metrics[k]))
		}
	}
	return out
}

// writeOtherMetrics lists the scenario-specific metrics (hit ratio, bytes
// per entry, deliveries per event...) of the variants that have any.
func writeOtherMetrics(w io.Writer, r *report.Results) error {
	var b strings.Builder
	sweep := sweeps(r)
	for _, s := range r.Scenarios {
		for _, v := range orderedVariants(s) {
			if m := OtherMetrics(v); len(m) > 0 {
				fmt.Fprintf(&b, "  %s: %s\n", variantLabel(s, v, sweep), strings.Join(m, " "))
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(w, "\nScenario metrics:\n"+b.String())
	return err
}

// variantLabel names a row outside the table: "scenario/variant", with the
// setting when the run swept settings.
func variantLabel(s report.ScenarioResult, v report.VariantResult, sweep bool) string {
	l := s.Name + "/" + v.Variant
	if sweep {
		l += " [" + v.Setting.String() + "]"
	}
	return l
}

// WriteRetention lists, for every variant that has them, what kept its
// retained objects alive: one retention path per line.
func WriteRetention(w io.Writer, r *report.Results) error {
	var b strings.Builder
	sweep := sweeps(r)
	for _, s := range r.Scenarios {
		for _, v := range orderedVariants(s) {
			for _, text := range retentionLines(v) {
				fmt.Fprintf(&b, "  %s: %s\n", variantLabel(s, v, sweep), text)
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(w, "\nWhy retained (shortest path from a GC root):\n"+b.String())
	return err
}

// retentionLines is what every format lists of a variant's retention: each
// path, or why none could be found.
func retentionLines(v report.VariantResult) []string {
	lines := make([]string, 0, len(v.Retention)+1)
	for _, p := range v.Retention {
		lines = append(lines, p.Path)
	}
	if v.RetentionError != "" {
		lines = append(lines, "no retention paths: "+v.RetentionError)
	}
	return lines
}

// WriteExpectations lists every expectation as PASS or FAIL with the numbers
// that decided it, then every variant that could not be measured.
func WriteExpectations(w io.Writer, r *report.Results) error {
	var b strings.Builder
	for _, s := range r.Scenarios {
		for _, e := range s.Expectations {
			fmt.Fprintln(&b, e.Line(s.Name))
		}
	}
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if v.Error != "" {
				fmt.Fprintf(&b, "ERROR %s/%s [%s]: %s\n", s.Name, v.Variant, v.Setting, v.Error)
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(w, "\n"+b.String())
	return err
}

// Sized returns a writer that writes to w and asks the text tables drawn
// into it to fit in width columns, wrapping the widest cells (a terminal's
// width, say); 0 means no limit. Markdown tables are never wrapped.
func Sized(w io.Writer, width int) io.Writer { return sizedWriter{w, max(width, 0)} }

type sizedWriter struct {
	io.Writer
	width int
}

// Width is the width w was given with Sized, or 0.
func Width(w io.Writer) int {
	if s, ok := w.(sizedWriter); ok {
		return s.width
	}
	return 0
}

// Fit makes a text table fit width columns (0: no limit): it first wraps
// the cells of the columns in wrap, in that order, at spaces (each down to
// 16 columns at most), then leaves out the columns titled in drop, in that
// order, until the table fits. It returns the table as it is to be drawn
// and the titles of the columns it left out.
func Fit(width int, header []string, rows [][]string, align []tw.Align, wrap []int, drop ...string) ([]string, [][]string, []tw.Align, []string) {
	if width <= 0 {
		return header, rows, align, nil
	}
	for _, col := range wrap {
		over := tableWidth(header, rows) - width
		if col < 0 || col >= len(header) || over <= 0 {
			continue
		}
		limit := max(columnWidth(header, rows, col)-over, 16)
		rows = slices.Clone(rows)
		for i, row := range rows {
			row = slices.Clone(row)
			row[col] = wrapText(row[col], limit)
			rows[i] = row
		}
	}
	var dropped []string
	for _, title := range drop {
		if tableWidth(header, rows) <= width {
			break
		}
		i := slices.Index(header, title)
		if i < 0 {
			continue
		}
		dropped = append(dropped, title)
		header = slices.Delete(slices.Clone(header), i, i+1)
		align = slices.Delete(slices.Clone(align), i, i+1)
		out := make([][]string, len(rows))
		for j, row := range rows {
			out[j] = slices.Delete(slices.Clone(row), i, i+1)
		}
		rows = out
	}
	return header, rows, align, dropped
}

// tableWidth is the width of the table tablewriter draws: each column's
// widest line with a space either side, and a border between and around.
func tableWidth(header []string, rows [][]string) int {
	w := 1
	for i := range header {
		w += columnWidth(header, rows, i) + 3
	}
	return w
}

func columnWidth(header []string, rows [][]string, i int) int {
	w := 0
	for _, cell := range append([]string{header[i]}, columnCells(rows, i)...) {
		for _, line := range strings.Split(cell, "\n") {
			w = max(w, runewidth.StringWidth(line))
		}
	}
	return w
}

func columnCells(rows [][]string, i int) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if i < len(r) {
			out = append(out, r[i])
		}
	}
	return out
}

// wrapText breaks s at spaces into lines of at most width columns (a word
// longer than that stays whole).
func wrapText(s string, width int) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// renderTable draws a table with tablewriter, as aligned text or, when
// markdown is set, as a Markdown table with its cells escaped. align gives
// each column's alignment; headers are left as written.
func renderTable(w io.Writer, header []string, rows [][]string, align []tw.Align, markdown bool) error {
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	}
	cells := toAny
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
		cells = func(s []string) []any { return toAny(mdEscapeAll(s)) }
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(cells(header)...)
	for _, row := range rows {
		if err := t.Append(cells(row)...); err != nil {
			return err
		}
	}
	return t.Render()
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// metricFormat formats values of one metric in its unit.
func metricFormat(metric string) func(float64) string {
	return func(x float64) string { return report.FormatMetric(metric, x) }
}

// bracket is " [s]", or nothing for an empty s.
func bracket(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}
