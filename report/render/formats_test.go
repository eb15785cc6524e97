package render_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/pprof/profile"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

// fixtures are recorded runs: the default catalogue at --objects 2000, two
// scenarios swept over gogc=100,off with --repeat 3, two run under
// go1.26.8 and go1.27.3 with --go, and two runs of different Go versions
// merged into one document (see testdata/README.md).
var fixtures = []string{"results", "results-sweep", "results-go", "results-merged"}

func load(t *testing.T, name string) *report.Results {
	t.Helper()
	r, err := report.ReadFile(filepath.Join("..", "..", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every text format, rendered from the fixtures, matches its golden file.
func TestFormatsGolden(t *testing.T) {
	ext := map[render.Format]string{render.FormatTable: "txt", render.FormatMarkdown: "md", render.FormatCSV: "csv", render.FormatBench: "bench.txt"}
	for _, fx := range fixtures {
		r := load(t, fx)
		for _, f := range []render.Format{render.FormatTable, render.FormatMarkdown, render.FormatCSV, render.FormatBench} {
			t.Run(fx+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := render.Write(&b, r, f); err != nil {
					t.Fatal(err)
				}
				golden(t, fx+"."+ext[f], b.Bytes())
			})
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := load(t, "results")
	var b bytes.Buffer
	if err := render.Write(&b, r, render.FormatJSON); err != nil {
		t.Fatal(err)
	}
	back, err := report.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, back) {
		t.Error("results.json does not survive an encode/decode round trip")
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range render.Formats {
		if got, err := render.ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := render.ParseFormat("xml")
	if err == nil || err.Error() != `unknown format "xml" (accepted: table, markdown, csv, json, bench)` {
		t.Errorf("ParseFormat(xml) error = %v", err)
	}
}

// A "|" in a cell must not end it.
func TestMarkdownEscapesPipes(t *testing.T) {
	r := load(t, "results-sweep")
	r.Scenarios[0].Variants[0].Variant = "a|b"
	r.Scenarios[0].Expectations[0].Text = "x | y"
	var b bytes.Buffer
	if err := render.WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `a\|b`) || !strings.Contains(out, `x \| y`) {
		t.Errorf("pipes not escaped:\n%s", out)
	}
	// Every table line has as many unescaped separators as the header.
	lines := strings.Split(out, "\n")
	want := strings.Count(lines[0], "|")
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			break
		}
		if got := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); got != want {
			t.Errorf("row has %d separators, header %d: %s", got, want, l)
		}
	}
}

func TestCSVIsWellFormed(t *testing.T) {
	r := load(t, "results")
	var b bytes.Buffer
	if err := render.WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range r.Scenarios {
		for _, v := range s.Variants {
			n += len(v.Metrics)
		}
	}
	if len(recs) != n+1 {
		t.Errorf("%d CSV records, want a header and %d metric lines", len(recs), n)
	}
}

// benchstat's own reader takes every line of the bench format: no syntax
// errors, one result per measured variant, and the Unit lines as metadata.
func TestBenchFormatParses(t *testing.T) {
	for _, fx := range fixtures {
		r := load(t, fx)
		var b bytes.Buffer
		if err := render.WriteBench(&b, r); err != nil {
			t.Fatal(err)
		}
		rd := benchfmt.NewReader(bytes.NewReader(b.Bytes()), fx+".txt")
		results, units := 0, map[string]string{}
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				t.Errorf("%s: %v", fx, rec)
			case *benchfmt.Result:
				results++
				if len(rec.Values) < 6 {
					t.Errorf("%s: %s has %d values", fx, rec.Name, len(rec.Values))
				}
				if string(rec.GetConfig("goos")) == "" || string(rec.GetConfig("go")) == "" {
					t.Errorf("%s: %s lacks goos/go configuration", fx, rec.Name)
				}
			case *benchfmt.UnitMetadata:
				units[rec.Unit+" "+rec.Key] = rec.Value
			}
		}
		if err := rd.Err(); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, s := range r.Scenarios {
			for _, v := range s.Variants {
				runs := 1
				for _, xs := range v.Samples {
					runs = max(runs, len(xs))
				}
				want += runs
			}
		}
		if results != want {
			t.Errorf("%s: %d benchmark results, want %d", fx, results, want)
		}
		if units["retained-B better"] != "lower" || units["retained-B assume"] != "exact" || units["retained-objects assume"] != "exact" {
			t.Errorf("%s: unit metadata %v", fx, units)
		}
	}
}

func TestRetentionProfile(t *testing.T) {
	r := load(t, "results")
	var b bytes.Buffer
	if err := render.WriteRetentionProfile(&b, r); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if p.DefaultSampleType != "retained_space" || len(p.SampleType) != 2 || p.SampleType[1].Type != "retained_objects" {
		t.Errorf("sample types %v, default %q", p.SampleType, p.DefaultSampleType)
	}
	n := 0
	for _, s := range r.Scenarios {
		n += len(s.Variants)
	}
	if len(p.Sample) != n {
		t.Fatalf("%d samples, want one per variant (%d)", len(p.Sample), n)
	}
	s := p.Sample[1] // report-cache/weak
	stack := []string{}
	for _, l := range s.Location {
		stack = append(stack, l.Line[0].Function.Name)
	}
	v := r.Scenarios[0].Variants[1]
	if want := []string{v.Holder, "report-cache/weak", "report-cache"}; !reflect.DeepEqual(stack, want) {
		t.Errorf("stack (leaf first) = %v, want %v", stack, want)
	}
	if s.Value[0] != int64(v.Metrics[report.RetainedBytes]) || s.Label["variant"][0] != "weak" || s.Label["scenario"][0] != "report-cache" || len(s.Label["gogc"]) != 1 {
		t.Errorf("sample %v labels %v", s.Value, s.Label)
	}
}

// go tool pprof opens the profile without warnings, filters it by tag and
// diffs two runs.
func TestRetentionProfileInPprof(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	for _, fx := range fixtures {
		f, err := os.Create(filepath.Join(dir, fx+".pb.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if err := render.WriteRetentionProfile(f, load(t, fx)); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	base, sweep := filepath.Join(dir, "results.pb.gz"), filepath.Join(dir, "results-sweep.pb.gz")
	for _, args := range [][]string{
		{"-top", base},
		{"-top", "-sample_index=retained_objects", base},
		{"-top", "-tagfocus", "variant=weak", base},
		{"-top", "-diff_base", base, sweep},
	} {
		cmd := exec.Command(gobin, append([]string{"tool", "pprof"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("pprof %v: %v\n%s", args, err, stderr.String())
		}
		if strings.Contains(strings.ToLower(stderr.String()+stdout.String()), "warning") || strings.Contains(stderr.String(), "binary") {
			t.Errorf("pprof %v warned:\n%s", args, stderr.String())
		}
		if !strings.Contains(stdout.String(), "cache.") {
			t.Errorf("pprof %v shows no holder:\n%s", args, stdout.String())
		}
	}
}

// WriteFiles writes every view; a second call replaces them whole.
func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	r := load(t, "results-sweep")
	for range 2 {
		if err := render.WriteFiles(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{render.ResultsName, render.RetentionProfileName, render.HTMLName, "weak-ref/chart.svg", "map-strategy/chart.svg"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	var stray []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if strings.Contains(filepath.Base(p), ".tmp") {
			stray = append(stray, p)
		}
		return err
	})
	if len(stray) > 0 {
		t.Errorf("temporary files left behind: %v", stray)
	}
	if _, err := report.ReadFile(filepath.Join(dir, render.ResultsName)); err != nil {
		t.Error(err)
	}
	// The files are the same renderings WriteHTML and WriteChartSVG give.
	var page, chart bytes.Buffer
	if err := render.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if err := render.WriteChartSVG(&chart, r.Scenarios[0]); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{render.HTMLName: page.Bytes(), r.Scenarios[0].Name + "/chart.svg": chart.Bytes()} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from its renderer's output (%v)", name, err)
		}
	}
}

// Retention paths appear in every human-readable format and in the JSON,
// and a path without text is rejected.
func TestRetentionRendered(t *testing.T) {
	r := results(variant("strong", map[string][]float64{report.RetainedBytes: {1 << 20}}))
	path := "global main.cache (bss) → object (48 B) → *main.Report (1.0 KiB)"
	r.Scenarios[0].Variants[0].Retention = []report.RetentionPath{{
		Object: "*main.Report", Found: true, RootKind: "global", Root: "main.cache", Path: path,
		Steps: []report.RetentionStep{{Size: 48, Offset: 8}, {Size: 1024, Type: "*main.Report"}},
	}}
	failed := variant("weak", map[string][]float64{report.RetainedBytes: {0}})
	failed.RetentionError = "heap dump: disk full"
	r.Scenarios[0].Variants = append(r.Scenarios[0].Variants, failed)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []render.Format{render.FormatTable, render.FormatMarkdown, render.FormatJSON} {
		var b strings.Builder
		if err := render.Write(&b, r, f); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"main.cache (bss) → object (48 B)", "heap dump: disk full"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s output lacks %q:\n%s", f, want, b.String())
			}
		}
	}
	var h strings.Builder
	if err := render.WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "Why retained") || !strings.Contains(h.String(), "global main.cache (bss) → object (48 B) → *main.Report (1.0 KiB)") {
		t.Errorf("HTML lacks the retention path")
	}
	r.Scenarios[0].Variants[0].Retention[0].Path = ""
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "retention[0] has no path") {
		t.Errorf("Validate accepted a retention path without text: %v", err)
	}
}

// Drawn into a Sized writer, the tables fit its width: a terminal's.
func TestTablesFitWidth(t *testing.T) {
	r := load(t, "results")
	for _, width := range []int{100, 80} {
		var b bytes.Buffer
		if err := render.WriteTable(render.Sized(&b, width), r); err != nil {
			t.Fatal(err)
		}
		inTable := 0
		for _, line := range strings.Split(b.String(), "\n") {
			if !strings.ContainsAny(line, "│┌├└") {
				continue // the lines below the table are prose
			}
			inTable++
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: a table line of %d columns: %s", width, n, line)
			}
		}
		if inTable == 0 {
			t.Fatalf("no table drawn:\n%s", b.String())
		}
	}
}

// benchstat -col go compares the toolchains of a document measured under
// several (a run with --go, or runs with different Go versions merged, or
// given as two files): with go as the column, every benchmark of every
// table has a value under each toolchain, as benchstat groups them
// (-table .config -row .fullname, its defaults). Without -col go, go is
// part of .config and splits them into tables of their own.
func TestBenchComparesAcrossToolchains(t *testing.T) {
	for _, fx := range []string{"results-go", "results-merged"} {
		var b bytes.Buffer
		if err := render.WriteBench(&b, load(t, fx)); err != nil {
			t.Fatal(err)
		}
		for _, col := range []string{"go", ".file"} {
			filter, err := benchproc.NewFilter("*")
			if err != nil {
				t.Fatal(err)
			}
			var parser benchproc.ProjectionParser
			tableBy, _, err := parser.ParseWithUnit(".config", filter)
			if err != nil {
				t.Fatal(err)
			}
			rowBy, err := parser.Parse(".fullname", filter)
			if err != nil {
				t.Fatal(err)
			}
			colBy, err := parser.Parse(col, filter)
			if err != nil {
				t.Fatal(err)
			}
			cells := map[string]map[string]bool{} // table and row → columns
			tables := map[string]bool{}
			rd := benchfmt.NewReader(bytes.NewReader(b.Bytes()), fx+".txt")
			for rd.Scan() {
				if res, ok := rd.Result().(*benchfmt.Result); ok {
					table := tableBy.Project(res).String()
					tables[table] = true
					key := table + " " + rowBy.Project(res).String()
					if cells[key] == nil {
						cells[key] = map[string]bool{}
					}
					cells[key][colBy.Project(res).String()] = true
				}
			}
			if err := rd.Err(); err != nil {
				t.Fatal(err)
			}
			for key, cols := range cells {
				if col == "go" && len(cols) != 2 {
					t.Errorf("%s, -col go: %s has %d columns, want go1.26.8 and go1.27.3", fx, key, len(cols))
				}
			}
			if col == "go" && len(tables) != 1 {
				t.Errorf("%s, -col go: %d tables, want one", fx, len(tables))
			}
			if col == ".file" && len(tables) != 2 {
				t.Errorf("%s without -col go: %d tables, want one per toolchain (what makes -col go necessary)", fx, len(tables))
			}
		}
	}
}
