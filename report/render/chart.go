package render

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/weakscope/weakscope/report"
)

// ErrNothingToDraw is wrapped by the error [WriteChartSVG] returns for a
// scenario none of whose variants has a timeline to draw: every variant
// failed, or none recorded one.
var ErrNothingToDraw = errors.New("nothing to draw")

// chartPhases are the marks a chart shows, in timeline order: where the
// variant started filling its holder, dropped its references, and took its
// final measurement.
var chartPhases = []string{"populate", "release", "measure"}

// Chart geometry and typography, in points (an SVG user unit is a point).
const (
	chartWidth   = 720
	chartHeight  = 470
	chartMargin  = 8
	heapHeadroom = 1.22 // room above the data for the phase labels
)

var (
	chartFont  = font.Font{Typeface: "Liberation", Variant: "Sans"}
	bandFill   = color.NRGBA{R: 0x70, G: 0x70, B: 0x70, A: 0x16}
	markColour = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	gridColour = color.NRGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
	textColour = color.NRGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff}
)

// chartPalette is the Okabe–Ito palette without its yellow, which is too
// pale on white: distinguishable with the common colour-vision deficiencies.
var chartPalette = []color.Color{
	color.NRGBA{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // blue
	color.NRGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // vermillion
	color.NRGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // bluish green
	color.NRGBA{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // reddish purple
	color.NRGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // orange
	color.NRGBA{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // sky blue
	color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}, // black
}

// chartGlyphs tell variants apart where their lines overlap and for readers
// who cannot tell the colours apart.
var chartGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{},
	draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// chartDashes tell the settings of a sweep apart: solid for the first.
var chartDashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2.5)},
	{vg.Points(8), vg.Points(3), vg.Points(1.5), vg.Points(3)},
}

// chartSeries is one drawn variant: its heap and entries lines and the
// relative cycles of its phase marks.
type chartSeries struct {
	label   string
	colour  color.Color
	glyph   draw.GlyphDrawer
	dashes  []vg.Length
	heap    plotter.XYs
	entries plotter.XYs
	marks   map[string]float64 // phase → relative cycle of its first mark
}

// WriteChartSVG draws one scenario as an SVG image (720×470 pt) with
// gonum/plot: heap live bytes (top panel, in KiB, MiB or GiB) and holder
// entries (bottom panel) against the GC cycle, one line per variant — per
// variant and setting when the scenario ran under several settings, the
// colour and glyph then naming the variant and the dash the setting.
//
// The x axis counts GC cycles from each variant's release (negative before
// it): every variant runs in a process of its own and reaches the release
// at a cycle of its own, so aligning them there compares them phase by
// phase. Readings taken before the process completed its first GC cycle
// are left out of the heap panel: the runtime reports no live heap until
// then. The entries panel draws only the variants that measured their
// holder's entries. Shaded bands mark the populate, release and measure
// marks, each spanning the cycles at which the variants reached it (a
// dashed line when they all reached it at the same cycle).
//
// Variants with an error or without a timeline are not drawn; a note after
// the legend names them. When no variant can be drawn, WriteChartSVG writes
// nothing and returns an error wrapping [ErrNothingToDraw]. The output
// depends only on s: the same scenario always gives the same bytes.
func WriteChartSVG(w io.Writer, s report.ScenarioResult) error {
	series, skipped := chartData(s)
	if len(series) == 0 {
		return fmt.Errorf("scenario %s: %w: no variant has a timeline", s.Name, ErrNothingToDraw)
	}

	var xMin, xMax, heapMax, entriesMax float64
	for _, cs := range series {
		for _, p := range cs.heap {
			xMin, xMax, heapMax = math.Min(xMin, p.X), math.Max(xMax, p.X), math.Max(heapMax, p.Y)
		}
		for _, p := range cs.entries {
			xMin, xMax, entriesMax = math.Min(xMin, p.X), math.Max(xMax, p.X), math.Max(entriesMax, p.Y)
		}
	}
	xMax = math.Max(xMax, xMin+1)
	unit, unitName := byteUnit(heapMax)

	heap := newPanel("heap live ("+unitName+")", xMin, xMax)
	heap.Y.Max = math.Max(heapMax, unit) * heapHeadroom
	heap.Y.Tick.Marker = niceTicks{unit: unit}
	entries := newPanel("holder entries", xMin, xMax)
	entries.Y.Max = math.Max(entriesMax, 1) * 1.08
	entries.Y.Tick.Marker = niceTicks{unit: 1, whole: true}
	entries.X.Label.Text = "GC cycles since the variant's release (negative: before it)"

	marks := phaseMarks(series)
	heap.Add(&marks)
	entries.Add(&phaseMarkers{spans: marks.spans})

	var legend []plot.Legend
	for _, cs := range series {
		for _, panel := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{heap, cs.heap}, {entries, cs.entries}} {
			if len(panel.xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(panel.xys)
			if err != nil {
				return fmt.Errorf("scenario %s: %w", s.Name, err)
			}
			line.StepStyle = plotter.PostStep
			line.LineStyle = draw.LineStyle{Color: cs.colour, Width: vg.Points(1.6), Dashes: cs.dashes}
			points.GlyphStyle = draw.GlyphStyle{Color: cs.colour, Radius: vg.Points(2.4), Shape: cs.glyph}
			panel.p.Add(line, points)
		}
		l := plot.NewLegend()
		l.TextStyle = textStyle(10, textColour)
		l.Top, l.Left = true, true
		l.ThumbnailWidth = vg.Points(30)
		l.Add(cs.label,
			&plotter.Line{LineStyle: draw.LineStyle{Color: cs.colour, Width: vg.Points(1.6), Dashes: cs.dashes}},
			&plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: cs.colour, Radius: vg.Points(2.8), Shape: cs.glyph}})
		legend = append(legend, l)
	}

	canvas := vgsvg.NewWith(vgsvg.UseWH(chartWidth, chartHeight))
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	title := textStyle(13, textColour)
	title.Font.Weight = xfont.WeightBold
	title.YAlign = draw.YTop
	top := dc.Max.Y - chartMargin
	dc.FillText(title, vg.Point{X: chartMargin, Y: top}, s.Name+": heap live bytes and holder entries per GC cycle")
	top -= title.Height(s.Name) + 6
	top = drawLegendRow(dc, top, legend, skipped)

	panels := draw.Crop(dc, 0, 0, 0, top-dc.Max.Y-4)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: 10, PadLeft: chartMargin, PadRight: 2 * chartMargin, PadBottom: chartMargin}
	areas := plot.Align([][]*plot.Plot{{heap}, {entries}}, tiles, panels)
	heap.Draw(areas[0][0])
	entries.Draw(areas[1][0])

	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	// gonum/plot measures text with the Liberation fonts, which it does not
	// embed by default (embedding costs ~400 KiB per chart). Name the
	// metric-compatible fonts a viewer is likelier to have as fallbacks.
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;"))
	_, err := w.Write(out)
	return err
}

// chartData extracts the drawable series of a scenario and names the
// variants it cannot draw.
func chartData(s report.ScenarioResult) (series []chartSeries, skipped []string) {
	sweep := false
	for _, v := range s.Variants {
		if v.Setting != (report.Setting{}) {
			sweep = true
		}
	}
	variantIndex, settingIndex := map[string]int{}, map[report.Setting]int{}
	for _, v := range s.Variants {
		name := v.Variant
		if sweep {
			name += " (" + v.Setting.String() + ")"
		}
		switch {
		case v.Error != "":
			skipped = append(skipped, name+": error")
			continue
		case len(v.Timeline) == 0:
			skipped = append(skipped, name+": no timeline")
			continue
		}
		vi, ok := variantIndex[v.Variant]
		if !ok {
			vi = len(variantIndex)
			variantIndex[v.Variant] = vi
		}
		si, ok := settingIndex[v.Setting]
		if !ok {
			si = len(settingIndex)
			settingIndex[v.Setting] = si
		}
		cs := chartSeries{
			label:  name,
			colour: chartPalette[vi%len(chartPalette)],
			glyph:  chartGlyphs[vi%len(chartGlyphs)],
			dashes: chartDashes[si%len(chartDashes)],
			marks:  map[string]float64{},
		}
		// Every variant is drawn against the cycles since its own release,
		// so that variants which reached it at different cycles of their
		// processes compare phase by phase. A timeline without a release
		// mark counts from its first reading.
		origin := v.Timeline[0].Cycle
		for _, r := range v.Timeline {
			if r.Mark && r.Phase == "release" {
				origin = r.Cycle
				break
			}
		}
		// The holder's entries are drawn only for a variant that measured
		// them: a scenario may leave them out when its holder cannot be
		// counted (unique's internal map), and the probe then holds
		// something else.
		_, counted := v.Metrics[report.Entries]
		if !counted {
			skipped = append(skipped, name+": entries not measured")
		}
		for _, r := range v.Timeline {
			x := float64(r.Cycle) - float64(origin)
			if r.Cycle > 0 {
				cs.heap = append(cs.heap, plotter.XY{X: x, Y: float64(r.HeapLiveBytes)})
			}
			if counted {
				cs.entries = append(cs.entries, plotter.XY{X: x, Y: float64(r.Probe)})
			}
			if _, seen := cs.marks[r.Phase]; r.Mark && !seen {
				cs.marks[r.Phase] = x
			}
		}
		series = append(series, cs)
	}
	return series, skipped
}

// drawLegendRow lays the legend entries out left to right from the top
// left corner, wrapping to a new row when one is full, followed by the
// variants that were not drawn. It returns the y below the last row.
//
// It leaves each entry a fifth more room than gonum/plot measures: a viewer
// without the Liberation fonts draws wider text.
func drawLegendRow(dc draw.Canvas, top vg.Length, legend []plot.Legend, skipped []string) vg.Length {
	const gap, rowGap = 18, 5
	x, rowH := vg.Length(chartMargin), vg.Length(0)
	place := func(w, h vg.Length) vg.Rectangle {
		if x > chartMargin && x+w > dc.Max.X-chartMargin {
			x, top = chartMargin, top-rowH-rowGap
			rowH = 0
		}
		r := vg.Rectangle{Min: vg.Point{X: x, Y: top - h}, Max: vg.Point{X: x + w, Y: top}}
		x += w + gap
		rowH = max(rowH, h)
		return r
	}
	for _, l := range legend {
		size := l.Rectangle(dc).Size()
		r := place(l.ThumbnailWidth+(size.X-l.ThumbnailWidth)*1.2, size.Y)
		l.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: r})
	}
	if len(skipped) > 0 {
		note := textStyle(10, markColour)
		note.YAlign = draw.YTop
		txt := "not drawn: " + strings.Join(skipped, "; ")
		r := place(note.Width(txt)*1.2, note.Height(txt))
		dc.FillText(note, vg.Point{X: r.Min.X, Y: r.Max.Y}, txt)
	}
	return top - rowH
}

// newPanel returns a plot with the chart's styling and an x axis from xMin
// to xMax cycles.
func newPanel(yLabel string, xMin, xMax float64) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	p.X.Min, p.X.Max = xMin, xMax
	p.Y.Min = 0
	p.X.Tick.Marker = niceTicks{unit: 1, whole: true}
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(10, textColour)
		a.Tick.Label = textStyle(9, textColour)
		a.Padding = vg.Points(3)
	}
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	p.Y.Tick.Label.XAlign, p.Y.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Label.TextStyle.XAlign, p.X.Label.TextStyle.YAlign = draw.XCenter, draw.YBottom
	p.Y.Label.TextStyle.XAlign, p.Y.Label.TextStyle.YAlign = draw.XCenter, draw.YBottom
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal = draw.LineStyle{Color: gridColour, Width: vg.Points(0.5)}
	p.Add(grid)
	return p
}

func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(chartFont, size),
		Handler: plot.DefaultTextHandler,
	}
}

// byteUnit picks the IEC unit the heap axis is labelled in.
func byteUnit(max float64) (unit float64, name string) {
	switch {
	case max >= 1<<30:
		return 1 << 30, "GiB"
	case max >= 1<<20:
		return 1 << 20, "MiB"
	case max >= 1<<10:
		return 1 << 10, "KiB"
	}
	return 1, "B"
}

// niceTicks labels about five evenly spaced values at a step of 1, 2 or 5
// times a power of ten, the values counted in unit (1 for plain numbers),
// with minor ticks in between. With whole set it labels whole numbers only:
// cycles and entries are counts.
type niceTicks struct {
	unit  float64
	whole bool
}

// Ticks implements [plot.Ticker].
func (t niceTicks) Ticks(axisMin, axisMax float64) []plot.Tick {
	lo, hi := axisMin/t.unit, axisMax/t.unit
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return nil
	}
	step := math.Pow(10, math.Floor(math.Log10(span)))
	for _, m := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10} {
		if s := step * m; span/s <= 6 {
			step = s
			break
		}
	}
	if t.whole && step < 1 {
		step = 1
	}
	minor := step / 5
	if step/minor != 5 || (t.whole && minor < 1) {
		minor = step
	}
	if m := step / 2; t.whole && minor == step && m == math.Trunc(m) {
		minor = m
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo / minor); i*minor <= hi*(1+1e-9); i++ {
		v := i * minor
		tick := plot.Tick{Value: v * t.unit}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			tick.Label = strconv.FormatFloat(math.Round(r)*step, 'f', decimals, 64)
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// phaseSpan is the range of relative cycles at which the drawn variants
// reached one phase mark.
type phaseSpan struct {
	phase    string
	min, max float64
}

// phaseMarkers is a [plot.Plotter] that shades each phase span over the
// whole height of a panel and, when labelled, names it at the top.
type phaseMarkers struct {
	spans    []phaseSpan
	labelled bool
}

func phaseMarks(series []chartSeries) phaseMarkers {
	m := phaseMarkers{labelled: true}
	for _, phase := range chartPhases {
		span := phaseSpan{phase: phase, min: math.Inf(1), max: math.Inf(-1)}
		for _, cs := range series {
			if x, ok := cs.marks[phase]; ok {
				span.min, span.max = math.Min(span.min, x), math.Max(span.max, x)
			}
		}
		if span.min <= span.max {
			m.spans = append(m.spans, span)
		}
	}
	return m
}

// Plot implements [plot.Plotter].
func (m *phaseMarkers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	edge := draw.LineStyle{Color: markColour, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	label := textStyle(9, markColour)
	label.YAlign = draw.YTop
	var rowEnds []vg.Length // right end of the last label in each row
	for _, sp := range m.spans {
		x0, x1 := trX(sp.min), trX(sp.max)
		if x1 > x0 {
			c.FillPolygon(bandFill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
			c.StrokeLine2(edge, x1, c.Min.Y, x1, c.Max.Y)
		}
		c.StrokeLine2(edge, x0, c.Min.Y, x0, c.Max.Y)
		if !m.labelled {
			continue
		}
		x := x0 + 3
		w := label.Width(sp.phase)
		if x+w > c.Max.X {
			x = x0 - 3 - w
		}
		row := 0
		for row < len(rowEnds) && rowEnds[row] > x-4 {
			row++
		}
		if row == len(rowEnds) {
			rowEnds = append(rowEnds, 0)
		}
		rowEnds[row] = x + w
		y := c.Max.Y - 3 - vg.Length(row)*(label.Height(sp.phase)+2)
		c.FillText(label, vg.Point{X: x, Y: y}, sp.phase)
	}
}
