package report

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// column is one column of the comparison table: a metric and how to show it.
type column struct {
	title  string
	metric string
	format func(float64) string
}

var tableColumns = []column{
	{"retained", RetainedBytes, FormatBytes},
	{"objects", RetainedObjects, formatCount},
	{"entries", Entries, formatCount},
	{"cycles", CyclesToRelease, formatCount},
	{"cleanups", CleanupsRun, formatCount},
	{"peak heap", PeakHeapBytes, FormatBytes},
	{"wall", WallNS, formatNS},
	{"cpu", CPUNS, formatNS},
}

// Rows builds the comparison table: a header and one row per scenario ×
// variant × setting. The setting column appears only when a run swept
// settings; a variant run several times shows its median and range.
func Rows(r *Results) (header []string, rows [][]string) {
	sweep := sweeps(r)
	header = []string{"scenario", "variant"}
	if sweep {
		header = append(header, "setting")
	}
	for _, c := range tableColumns {
		header = append(header, c.title)
	}
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			row := []string{s.Name, v.Variant}
			if sweep {
				row = append(row, v.Setting.String())
			}
			for _, c := range tableColumns {
				row = append(row, cell(v, c))
			}
			rows = append(rows, row)
		}
	}
	return header, rows
}

func cell(v VariantResult, c column) string {
	if v.Error != "" {
		if c.metric == RetainedBytes {
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

func sweeps(r *Results) bool {
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			if v.Setting != (Setting{}) {
				return true
			}
		}
	}
	return false
}

// WriteTable renders the comparison table as aligned text, numbers
// right-aligned, followed by each expectation with its verdict and the
// variants that failed to run.
func WriteTable(w io.Writer, r *Results) error {
	header, rows := Rows(r)
	if err := renderTable(w, header, rows, alignments(len(header)), false); err != nil {
		return err
	}
	if err := writeOtherMetrics(w, r); err != nil {
		return err
	}
	if err := WriteRetention(w, r); err != nil {
		return err
	}
	return WriteExpectations(w, r)
}

// standardMetrics are shown in the main table or are bookkeeping.
var standardMetrics = map[string]bool{
	RetainedBytes: true, RetainedObjects: true, Entries: true, CyclesToRelease: true,
	CleanupsRun: true, PeakHeapBytes: true, WallNS: true, CPUNS: true, "held_bytes": true, "settle_cycles": true,
}

// OtherMetrics returns a variant's scenario-specific metrics as
// "name=value" pairs in name order.
func OtherMetrics(v VariantResult) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(v.Metrics)) {
		if !standardMetrics[k] {
			out = append(out, k+"="+formatMetric(v.Metrics[k]))
		}
	}
	return out
}

// writeOtherMetrics lists the scenario-specific metrics (hit ratio, bytes
// per entry, deliveries per event...) of the variants that have any.
func writeOtherMetrics(w io.Writer, r *Results) error {
	var b strings.Builder
	sweep := sweeps(r)
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
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
func variantLabel(s ScenarioResult, v VariantResult, sweep bool) string {
	l := s.Name + "/" + v.Variant
	if sweep {
		l += " [" + v.Setting.String() + "]"
	}
	return l
}

func formatMetric(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// WriteRetention lists, for every variant that has them, what kept its
// retained objects alive: one retention path per line.
func WriteRetention(w io.Writer, r *Results) error {
	var b strings.Builder
	sweep := sweeps(r)
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
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
func retentionLines(v VariantResult) []string {
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
func WriteExpectations(w io.Writer, r *Results) error {
	var b strings.Builder
	for _, s := range r.Scenarios {
		for _, e := range s.Expectations {
			verdict := "PASS"
			if !e.Pass {
				verdict = "FAIL"
			}
			fmt.Fprintf(&b, "%s %s%s: %s (%s)\n", verdict, s.Name, bracket(e.Setting), e.Text, e.Detail)
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

// FormatBytes formats a byte count in IEC units: "512 B", "4.0 KiB",
// "10.2 MiB". Negative counts (less retained than at the baseline) keep
// their sign.
func FormatBytes(x float64) string {
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	const unit = 1024
	if x < unit {
		return sign + strconv.FormatFloat(math.Round(x), 'f', -1, 64) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	i := -1
	for x >= unit && i < len(units)-1 {
		x /= unit
		i++
	}
	return fmt.Sprintf("%s%.1f %s", sign, x, units[i])
}

func formatCount(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

func formatNS(x float64) string {
	d := time.Duration(x)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(10 * time.Nanosecond).String()
	}
}
