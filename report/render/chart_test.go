package render_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

// chartFixture reads one of the recorded results in ../testdata.
func chartFixture(t *testing.T, name string) *report.Results {
	t.Helper()
	r, err := report.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func chartScenario(t *testing.T, r *report.Results, name string) report.ScenarioResult {
	t.Helper()
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %q in the fixture", name)
	return report.ScenarioResult{}
}

func renderChart(t *testing.T, s report.ScenarioResult) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := render.WriteChartSVG(&b, s); err != nil {
		t.Fatalf("WriteChartSVG(%s): %v", s.Name, err)
	}
	return b.Bytes()
}

// svgTexts parses an SVG document, failing the test if it is not
// well-formed XML with an <svg> root, and returns its <text> contents.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	inText, root := false, ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			inText = tok.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element is <%s>, want <svg>", root)
	}
	return texts
}

// The chart of a recorded scenario matches its golden file.
func TestChartGolden(t *testing.T) {
	r := chartFixture(t, "results.json")
	golden(t, "chart-report-cache.svg", renderChart(t, chartScenario(t, r, "report-cache")))
}

// gonum/plot's SVG output is byte-for-byte deterministic: every scenario of
// both fixtures renders to the same bytes twice in a row and concurrently.
// (Across processes the golden files check it.)
func TestChartDeterministic(t *testing.T) {
	for _, fx := range []string{"results.json", "results-sweep.json"} {
		r := chartFixture(t, fx)
		for _, s := range r.Scenarios {
			want := renderChart(t, s)
			got := make([][]byte, 4)
			var wg sync.WaitGroup
			for i := range got {
				wg.Go(func() {
					var b bytes.Buffer
					if err := render.WriteChartSVG(&b, s); err == nil {
						got[i] = b.Bytes()
					}
				})
			}
			wg.Wait()
			for i, g := range got {
				if !bytes.Equal(g, want) {
					t.Errorf("%s/%s: rendering %d differs from the first (%d vs %d bytes)", fx, s.Name, i, len(g), len(want))
				}
			}
		}
	}
}

// A chart names the scenario, every variant (with its setting in a sweep),
// the axes and the phases it marks.
func TestChartContent(t *testing.T) {
	for _, tc := range []struct {
		fixture, scenario string
		labels            []string
	}{
		{"results.json", "report-cache", []string{"strong", "weak"}},
		{"results.json", "churn", []string{"strong-map", "weak-values", "lru", "otter"}},
		{"results-sweep.json", "weak-ref", []string{"held (gogc=100)", "dropped (gogc=100)", "held (gogc=off)", "dropped (gogc=off)"}},
	} {
		t.Run(tc.fixture+"/"+tc.scenario, func(t *testing.T) {
			s := chartScenario(t, chartFixture(t, tc.fixture), tc.scenario)
			texts := svgTexts(t, renderChart(t, s))
			want := append([]string{
				tc.scenario + ": heap live bytes and holder entries per GC cycle",
				"heap live (MiB)", "holder entries", "GC cycles since the variant's release (negative: before it)",
				"populate", "release", "measure",
			}, tc.labels...)
			for _, w := range want {
				if !slices.Contains(texts, w) {
					t.Errorf("no text %q in the chart; texts: %q", w, texts)
				}
			}
			for _, txt := range texts {
				if strings.HasPrefix(txt, "not drawn") {
					t.Errorf("chart says %q, but every variant has a timeline", txt)
				}
			}
		})
	}
}

// The chart draws one line per variant, in a colour of its own, on each
// panel; the variants of a sweep share a colour per variant name.
func TestChartLinesPerVariant(t *testing.T) {
	count := func(svg []byte, colour string) int {
		return bytes.Count(svg, []byte("stroke:"+colour+";stroke-width:1.6"))
	}
	rc := renderChart(t, chartScenario(t, chartFixture(t, "results.json"), "report-cache"))
	// Per variant: the heap line, the entries line and the legend sample.
	for _, colour := range []string{"#0072B2", "#D55E00"} {
		if n := count(rc, colour); n != 3 {
			t.Errorf("report-cache: %d lines in %s, want 3", n, colour)
		}
	}
	wr := renderChart(t, chartScenario(t, chartFixture(t, "results-sweep.json"), "weak-ref"))
	for _, colour := range []string{"#0072B2", "#D55E00"} {
		if n := count(wr, colour); n != 6 {
			t.Errorf("weak-ref sweep: %d lines in %s, want 6 (two settings)", n, colour)
		}
	}
	if n := bytes.Count(wr, []byte("stroke-dasharray:")); n == 0 {
		t.Error("weak-ref sweep: no dashed line; the second setting should be dashed")
	}
}

// syntheticTimeline builds a synthetic timeline from cycle first: two readings
// before the populate mark, the objects held for three cycles, released
// and gone two cycles later.
func syntheticTimeline(first uint64, heap uint64, entries int) []inspect.Sample {
	at := func(c uint64, phase string, mark bool, live uint64, probe int) inspect.Sample {
		return inspect.Sample{Cycle: first + c, Phase: phase, Mark: mark, HeapLiveBytes: live, Probe: probe,
			Time: time.Date(2026, 1, 1, 0, 0, int(c), 0, time.UTC)}
	}
	base := heap / 10
	return []inspect.Sample{
		at(0, "start", true, base, 0),
		at(1, "start", false, base, 0),
		at(2, "baseline", true, base, 0),
		at(2, "populate", true, base, 0),
		at(2, "populated", true, base, entries),
		at(3, "populated", false, base+heap, entries),
		at(5, "held", true, base+heap, entries),
		at(5, "release", true, base+heap, entries),
		at(6, "release", false, base+heap/2, entries/2),
		at(7, "release", false, base, 0),
		at(8, "measure", true, base, 0),
		at(8, "stop", true, base, 0),
	}
}

// The x axis counts cycles from each variant's own release, so variants
// that reached it at different cycles line up there; the heap axis picks
// its unit from the largest reading; entries are drawn only where they
// were measured.
func TestChartAxes(t *testing.T) {
	measured := map[string]float64{report.Entries: 0}
	s := report.ScenarioResult{Name: "synthetic", Variants: []report.VariantResult{
		{Variant: "late", Timeline: syntheticTimeline(1000, 300<<10, 50), Metrics: measured},
		// This variant reaches its release 3 cycles later in its timeline.
		{Variant: "early", Timeline: append(syntheticTimeline(700, 200<<10, 50)[:2], shift(syntheticTimeline(700, 200<<10, 50)[2:], 3)...), Metrics: measured},
		{Variant: "uncounted", Timeline: syntheticTimeline(40, 100<<10, 50)},
	}}
	svg := renderChart(t, s)
	texts := svgTexts(t, svg)
	if !slices.Contains(texts, "heap live (KiB)") {
		t.Errorf("heap axis of a 330 KiB heap is not in KiB; texts: %q", texts)
	}
	for _, txt := range texts {
		if txt == "1000" || txt == "1005" || txt == "700" || txt == "708" {
			t.Errorf("tick label %q: the x axis counts absolute cycles, not cycles since the release", txt)
		}
	}
	// The early variant's first reading comes 8 cycles before its release:
	// the axis reaches back that far, and on to the measurement after it.
	for _, want := range []string{"-8", "0", "2", "GC cycles since the variant's release (negative: before it)"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no %q on the chart; texts: %q", want, texts)
		}
	}
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "uncounted: entries not measured") }) {
		t.Errorf("a variant without an entries count is not named as such; texts: %q", texts)
	}
}

// shift moves readings n cycles later.
func shift(tl []inspect.Sample, n uint64) []inspect.Sample {
	out := slices.Clone(tl)
	for i := range out {
		out[i].Cycle += n
	}
	return out
}

// Variants with an error or no timeline are left out and named; a scenario
// with nothing to draw is an error, and nothing is written.
func TestChartSkipsWhatItCannotDraw(t *testing.T) {
	s := chartScenario(t, chartFixture(t, "results.json"), "churn")
	s.Variants = slices.Clone(s.Variants)
	s.Variants[1].Error = "worker exited: signal: killed"
	s.Variants[1].Metrics = nil
	s.Variants[2].Timeline = nil
	texts := svgTexts(t, renderChart(t, s))
	if want := "not drawn: weak-values: error; lru: no timeline"; !slices.Contains(texts, want) {
		t.Errorf("no note %q; texts: %q", want, texts)
	}
	for _, gone := range []string{"weak-values", "lru"} {
		if slices.Contains(texts, gone) {
			t.Errorf("variant %s is in the legend, but it was not drawn", gone)
		}
	}

	for i := range s.Variants {
		s.Variants[i].Error = "crashed"
	}
	var b bytes.Buffer
	err := render.WriteChartSVG(&b, s)
	if !errors.Is(err, render.ErrNothingToDraw) {
		t.Errorf("all variants failed: err = %v, want ErrNothingToDraw", err)
	}
	if b.Len() != 0 {
		t.Errorf("all variants failed: wrote %d bytes, want none", b.Len())
	}
	if err := render.WriteChartSVG(&b, report.ScenarioResult{Name: "empty"}); !errors.Is(err, render.ErrNothingToDraw) {
		t.Errorf("no variants: err = %v, want ErrNothingToDraw", err)
	}
}

// Text from the results is escaped in the SVG, and a holder that never
// reports entries still gets a sensible (0..1) entries axis.
func TestChartEscapesAndEdgeCases(t *testing.T) {
	s := report.ScenarioResult{Name: `<script>alert("x")</script>`, Variants: []report.VariantResult{
		{Variant: "a&b <i>", Timeline: syntheticTimeline(0, 5<<20, 0)},
	}}
	svg := renderChart(t, s)
	if bytes.Contains(svg, []byte("<script")) || bytes.Contains(svg, []byte("<i>")) {
		t.Errorf("markup from the results reached the SVG unescaped")
	}
	texts := svgTexts(t, svg)
	// "1": the top of the entries axis of a holder that never reports any.
	for _, want := range []string{"a&b <i>", "heap live (MiB)", "1"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no text %q; texts: %q", want, texts)
		}
	}
}
