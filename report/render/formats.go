package render

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/weakscope/weakscope/report"
)

// Format is an output format for a run's results.
type Format string

// The formats Write renders.
const (
	// FormatTable is the aligned text table with the verdicts below it.
	FormatTable Format = "table"
	// FormatMarkdown is the same as a Markdown table, for pull requests.
	FormatMarkdown Format = "markdown"
	// FormatCSV is every metric of every variant, one per line.
	FormatCSV Format = "csv"
	// FormatJSON is the results document itself.
	FormatJSON Format = "json"
	// FormatBench is the Go benchmark format that benchstat reads.
	FormatBench Format = "bench"
)

// Formats lists the formats in the order they are documented.
var Formats = []Format{FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatBench}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q (accepted: %s)", s, strings.Join(names, ", "))
}

// Write renders r in format f.
func Write(w io.Writer, r *report.Results, f Format) error {
	switch f {
	case FormatTable:
		return WriteTable(w, r)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatCSV:
		return WriteCSV(w, r)
	case FormatJSON:
		return r.Encode(w)
	case FormatBench:
		return WriteBench(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// WriteMarkdown renders the comparison table as a Markdown table, numbers
// right-aligned and "|" escaped in cells, followed by the notes and the
// scenario metrics as lists, the view across environments of a document
// measured in several (see [WriteTable]), and the retention paths and the
// verdicts as lists — ready to paste into a pull request or a CI step
// summary.
func WriteMarkdown(w io.Writer, r *report.Results) error {
	header, rows := Rows(r)
	if err := renderTable(w, header, rows, alignments(len(header)), true); err != nil {
		return err
	}
	var b strings.Builder
	if len(r.Notes) > 0 {
		b.WriteString("\n**Notes**\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", mdEscape(n))
		}
	}
	first, sweep := true, sweeps(r)
	for _, s := range r.Scenarios {
		for _, v := range orderedVariants(s) {
			if m := OtherMetrics(v); len(m) > 0 {
				if first {
					b.WriteString("\n**Scenario metrics**\n\n")
					first = false
				}
				fmt.Fprintf(&b, "- `%s`: %s\n", variantLabel(s, v, sweep), mdEscape(strings.Join(m, " ")))
			}
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	b.Reset()
	if err := writeAcrossMarkdown(w, r); err != nil {
		return err
	}
	first = true
	for _, s := range r.Scenarios {
		for _, v := range orderedVariants(s) {
			for _, text := range retentionLines(v) {
				if first {
					b.WriteString("\n**Why retained** (shortest path from a GC root)\n\n")
					first = false
				}
				// In code spans: a path is full of *, [ ] and ( ).
				fmt.Fprintf(&b, "- `%s`: `%s`\n", variantLabel(s, v, sweep), strings.ReplaceAll(text, "`", "'"))
			}
		}
	}
	b.WriteString("\n**Expectations**\n\n")
	for _, s := range r.Scenarios {
		for _, e := range s.Expectations {
			mark := "✅ PASS"
			if !e.Pass {
				mark = "❌ FAIL"
			}
			fmt.Fprintf(&b, "- %s `%s`%s: %s (%s)\n", mark, s.Name, bracket(e.Setting), mdEscape(e.Text), mdEscape(e.Detail))
		}
		for _, v := range s.Variants {
			if v.Error != "" {
				fmt.Fprintf(&b, "- ⚠️ ERROR `%s/%s` [%s]: %s\n", s.Name, v.Variant, v.Setting, mdEscape(v.Error))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// alignments right-aligns the metric columns, which come last.
func alignments(n int) []tw.Align {
	align := make([]tw.Align, n)
	for i := range align {
		align[i] = tw.AlignRight
		if i < n-len(tableColumns) {
			align[i] = tw.AlignLeft
		}
	}
	return align
}

// mdEscape makes s safe inside a Markdown table cell or list item: a "|"
// would end the cell, a newline the row, and a "*" start emphasis.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer("|", `\|`, "*", `\*`, "\n", " ", "\r", "")

func mdEscapeAll(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = mdEscape(c)
	}
	return out
}

// csvHeader is the header of WriteCSV's output.
var csvHeader = []string{"scenario", "variant", "holder", "gogc", "gomemlimit", "go", "machine", "runs", "metric", "value", "min", "max", "error"}

// WriteCSV writes one line per scenario × variant × setting × metric, with
// raw numbers (bytes, nanoseconds, counts), so a spreadsheet or a script can
// pivot it any way. The go and machine columns are empty for the running
// program's own toolchain and machine. A variant that could not be measured has one line with
// its error and no metric.
func WriteCSV(w io.Writer, r *report.Results) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			base := []string{s.Name, v.Variant, v.Holder, v.Setting.GOGC, v.Setting.GOMEMLIMIT, v.Setting.Go, v.Setting.Machine, strconv.Itoa(v.Runs)}
			if v.Error != "" {
				if err := cw.Write(append(base, "", "", "", "", v.Error)); err != nil {
					return err
				}
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(v.Metrics)) {
				lo, hi := "", ""
				if x, ok := v.Min[name]; ok {
					lo = f(x)
				}
				if x, ok := v.Max[name]; ok {
					hi = f(x)
				}
				if err := cw.Write(append(slices.Clone(base), name, f(v.Metrics[name]), lo, hi, "")); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// benchUnits maps metrics to benchmark units. Units naming bytes end in
// "-B" so benchstat scales them as bytes; wall time is given in ns and
// benchstat shows it in seconds.
var benchUnits = []struct {
	metric, unit string
	// meta is the Unit line's metadata. The metrics measured after a
	// forced, settled GC are exact by design: one run each is enough.
	meta string
}{
	{report.RetainedBytes, "retained-B", "better=lower assume=exact"},
	{report.RetainedObjects, "retained-objects", "better=lower assume=exact"},
	{report.Entries, "entries", "assume=exact"},
	{report.CyclesToRelease, "cycles-to-release", "assume=exact"},
	{report.CleanupsRun, "cleanups", ""},
	{report.PeakHeapBytes, "peak-heap-B", ""},
	{report.WallNS, "wall-ns", ""},
	{report.CPUNS, "cpu-ns", ""},
}

// WriteBench writes the results in the Go benchmark format: configuration
// lines, then one line per run of each scenario × variant × setting, named
// Benchmark<Scenario>/variant=<v>/gogc=<g>[/gomemlimit=<m>], then Unit lines
// that tell benchstat which metrics are exact by design (retention measured
// after a forced, settled GC), so that `benchstat old.txt new.txt` compares
// two runs meaningfully even with one run each. A variant run N times
// (--repeat, or weakscope check's --count) contributes one line per run.
//
// The toolchain is the configuration key go, and the machine of a merged
// document the key machine: a document of several environments has a block
// of lines per environment, each after the go (and machine) lines that
// name it, and the benchmark names are the same in every block. benchstat
// compares along a configuration key it is told to make the columns:
// `benchstat -col go run.txt` compares the toolchains of a run with --go,
// and `benchstat -col go old.txt new.txt` two runs made with different Go
// versions (without -col, benchstat puts different configurations in
// tables of their own and compares nothing).
func WriteBench(w io.Writer, r *report.Results) error {
	var b strings.Builder
	envs := r.Environments()
	several := len(envs) > 1 || len(envs) == 1 && envs[0] != (report.Setting{})
	config := [][2]string{{"goos", r.Env.GOOS}, {"goarch", r.Env.GOARCH}}
	if !several {
		config = append(config, [2]string{"go", r.Env.GoVersion})
	}
	if r.Env.GOMAXPROCS > 0 {
		config = append(config, [2]string{"gomaxprocs", strconv.Itoa(r.Env.GOMAXPROCS)})
	}
	config = append(config, [2]string{"weakscope", r.ToolVersion})
	writeConfig := func(config [][2]string) {
		for _, kv := range config {
			if kv[1] != "" {
				fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
			}
		}
	}
	writeConfig(config)
	for _, env := range envs {
		if several {
			block := [][2]string{{"go", cmp.Or(env.Go, r.Env.GoVersion)}}
			if env.Machine != "" {
				block = append([][2]string{{"machine", env.Machine}}, block...)
			}
			writeConfig(block)
		}
		for _, s := range r.Scenarios {
			for _, v := range orderedVariants(s) {
				if v.Error != "" || v.Setting.Environment() != env {
					continue // benchstat has no way to say "failed"; the table does
				}
				writeBenchLines(&b, r, s, v)
			}
		}
	}
	for _, u := range benchUnits {
		if u.meta != "" {
			fmt.Fprintf(&b, "Unit %s %s\n", u.unit, u.meta)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeBenchLines writes a variant's benchmark lines: one per run when the
// runs were kept, so benchstat sees the spread; otherwise the median.
func writeBenchLines(b *strings.Builder, r *report.Results, s report.ScenarioResult, v report.VariantResult) {
	name := "Benchmark" + camel(s.Name) + "/variant=" + benchKey(v.Variant) + "/gogc=" + orDefault(v.Setting.GOGC, r.Env.GOGC)
	if v.Setting.GOMEMLIMIT != "" {
		name += "/gomemlimit=" + benchKey(v.Setting.GOMEMLIMIT)
	}
	runs := 1
	for _, xs := range v.Samples {
		runs = max(runs, len(xs))
	}
	value := func(m string, i int) (float64, bool) {
		if xs := v.Samples[m]; i < len(xs) {
			return xs[i], true
		}
		x, ok := v.Metrics[m]
		return x, ok
	}
	for i := range runs {
		fmt.Fprintf(b, "%s 1", name)
		for _, u := range benchUnits {
			if x, ok := value(u.metric, i); ok {
				fmt.Fprintf(b, " %s %s", strconv.FormatFloat(x, 'f', -1, 64), u.unit)
			}
		}
		for _, m := range slices.Sorted(maps.Keys(v.Metrics)) {
			if !standardMetrics[m] {
				x, _ := value(m, i)
				fmt.Fprintf(b, " %s %s", strconv.FormatFloat(x, 'f', -1, 64), benchKey(strings.ReplaceAll(m, "_", "-")))
			}
		}
		b.WriteString("\n")
	}
}

// camel turns "report-cache" into "ReportCache".
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// benchKey keeps a name part free of the characters the benchmark format
// gives a meaning: spaces, "/" and "=".
func benchKey(s string) string { return benchKeyer.Replace(s) }

var benchKeyer = strings.NewReplacer(" ", "_", "/", "_", "=", "_")

func orDefault(s, env string) string {
	switch {
	case s != "":
		return benchKey(s)
	case env != "":
		return benchKey(env)
	}
	return "default"
}
