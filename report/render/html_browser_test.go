//go:build unix

package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weakscope/weakscope/report/render"
)

// chromiumPath is Debian's chromium (scripts/install-chromium.sh).
const chromiumPath = "/usr/bin/chromium"

// browserWidth is the window width the report is rendered at, in CSS
// pixels (the device scale factor is fixed at 1).
const browserWidth = 1280

// browserTimeout bounds one run of chromium.
const browserTimeout = 90 * time.Second

// requireChromium skips the test when chromium is not installed, or fails
// it when WEAKSCOPE_REQUIRE_BROWSER=1.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("%s not found (scripts/install-chromium.sh installs it): %v", chromiumPath, err)
		if os.Getenv("WEAKSCOPE_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + "; WEAKSCOPE_REQUIRE_BROWSER=1 requires the browser test")
		}
		t.Skip(msg)
	}
}

// The probe the test adds to a copy of the report (the report itself has
// no script). The first part, at the top of <head>, records resources that
// fail to load, uncaught errors and console errors and warnings. The
// second, at the end of <body>, runs once the page has loaded: it scrolls
// to each chart, measures it, asks which element is drawn at its centre,
// and writes its findings as JSON into a <pre> that --dump-dom prints.
const (
	probeHead = `<script>window.__probe=[];addEventListener("error",function(e){var t=e.target;__probe.push(t&&t!==window?"failed to load <"+t.tagName.toLowerCase()+"> "+(t.src||t.href||""):"uncaught: "+e.message)},true);["error","warn"].forEach(function(k){var f=console[k];console[k]=function(){__probe.push("console."+k+": "+Array.prototype.join.call(arguments," "));return f.apply(console,arguments)}});</script>`
	probeBody = `<script>addEventListener("load",function(){var o={errors:__probe,charts:[],svgs:document.querySelectorAll("svg").length};document.querySelectorAll("figure.chart svg").forEach(function(s){s.scrollIntoView({block:"center"});var r=s.getBoundingClientRect(),c=getComputedStyle(s),h=document.elementFromPoint(r.left+r.width/2,r.top+r.height/2),sec=s.closest("section");o.charts.push({section:sec?sec.id:"",x:r.left+scrollX,y:r.top+scrollY,w:r.width,h:r.height,hit:!!h&&(h===s||s.contains(h)),display:c.display,visibility:c.visibility,opacity:+c.opacity,paths:s.querySelectorAll("path").length})});scrollTo(0,0);var d=document.documentElement;o.scrollWidth=d.scrollWidth;o.scrollHeight=d.scrollHeight;o.innerWidth=innerWidth;var p=document.createElement("pre");p.id="weakscope-probe";p.textContent=JSON.stringify(o);document.body.appendChild(p)});</script>`
)

// probeResult is what probeBody reports.
type probeResult struct {
	Errors       []string      `json:"errors"`
	SVGs         int           `json:"svgs"`
	Charts       []probedChart `json:"charts"`
	ScrollWidth  float64       `json:"scrollWidth"`
	ScrollHeight float64       `json:"scrollHeight"`
	InnerWidth   float64       `json:"innerWidth"`
}

// probedChart is one chart as laid out: its box in page coordinates (CSS
// pixels), whether it is the element drawn at its own centre, and its
// computed visibility.
type probedChart struct {
	Section    string  `json:"section"`
	X          float64 `json:"x"`
	Y          float64 `json:"y"`
	W          float64 `json:"w"`
	H          float64 `json:"h"`
	Hit        bool    `json:"hit"`
	Display    string  `json:"display"`
	Visibility string  `json:"visibility"`
	Opacity    float64 `json:"opacity"`
	Paths      int     `json:"paths"`
}

// withProbe returns page with the probe added.
func withProbe(t *testing.T, page string) string {
	t.Helper()
	const head, body = `<meta charset="utf-8">`, "</body>"
	if strings.Count(page, head) != 1 || strings.Count(page, body) != 1 {
		t.Fatalf("cannot add the probe: the page needs one %s and one %s", head, body)
	}
	page = strings.Replace(page, head, head+probeHead, 1)
	return strings.Replace(page, body, probeBody+body, 1)
}

// consoleLine matches what chromium's --enable-logging=stderr prints for a
// message on the page's console, e.g.
// [1:1:1129/101324.937528:INFO:CONSOLE:3] "boom", source: file:///x.html (3)
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]\d*\)?\] (.*)`)

// runChromium runs headless chromium on file with a fresh profile and the
// given extra flags, and returns its stdout and the console messages it
// logged.
func runChromium(t *testing.T, file string, flags ...string) (stdout []byte, console []string) {
	t.Helper()
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(profile, "user-data"),
		"--enable-logging=stderr", "--v=0",
		"--hide-scrollbars", "--force-device-scale-factor=1",
	}, flags...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, chromiumPath, args...)
	// Keep chromium out of the user's home, and kill its whole process
	// group (renderer, GPU and utility processes) on timeout.
	cmd.Env = append(os.Environ(), "HOME="+profile, "XDG_CONFIG_HOME="+filepath.Join(profile, "config"), "XDG_CACHE_HOME="+filepath.Join(profile, "cache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	t.Logf("chromium %s: %v", strings.Join(flags, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		tail := errOut.String()
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		if ctx.Err() != nil {
			t.Fatalf("chromium did not finish within %v: %v\n%s", browserTimeout, err, tail)
		}
		t.Fatalf("chromium: %v\n%s", err, tail)
	}
	for _, line := range strings.Split(errOut.String(), "\n") {
		if m := consoleLine.FindStringSubmatch(line); m != nil {
			console = append(console, m[1])
		}
	}
	return out.Bytes(), console
}

var probeElement = regexp.MustCompile(`(?s)<pre id="weakscope-probe">(.*?)</pre>`)

// browserProbe loads page, with the probe, in chromium and returns the
// probe's findings and any console messages.
func browserProbe(t *testing.T, page string) (probeResult, []string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "probe.html")
	if err := os.WriteFile(file, []byte(withProbe(t, page)), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console := runChromium(t, file, "--window-size="+strconv.Itoa(browserWidth)+",900", "--dump-dom")
	m := probeElement.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe wrote no findings: the page did not load or its scripts did not run (%d bytes of DOM)", len(dom))
	}
	var res probeResult
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res); err != nil {
		t.Fatalf("probe findings: %v", err)
	}
	return res, console
}

// browserProblems lists what is wrong with a rendering that should show
// one chart in each of sections.
func browserProblems(res probeResult, console []string, sections []string) []string {
	var out []string
	for _, c := range console {
		out = append(out, "console: "+c)
	}
	out = append(out, res.Errors...)
	if res.SVGs != len(sections) {
		out = append(out, fmt.Sprintf("%d <svg> elements, want %d", res.SVGs, len(sections)))
	}
	if res.ScrollWidth > res.InnerWidth {
		out = append(out, fmt.Sprintf("the page is %v px wide in a %v px window: it scrolls sideways", res.ScrollWidth, res.InnerWidth))
	}
	found := map[string]bool{}
	for _, c := range res.Charts {
		found[c.Section] = true
		switch {
		case c.W < 300 || c.H < 150:
			out = append(out, fmt.Sprintf("chart of %s is %.0f×%.0f px, too small to read", c.Section, c.W, c.H))
		case c.X < 0 || c.Y < 0 || c.X+c.W > res.ScrollWidth+1 || c.Y+c.H > res.ScrollHeight+1:
			out = append(out, fmt.Sprintf("chart of %s at (%.0f,%.0f) %.0f×%.0f px is not within the %.0f×%.0f px page", c.Section, c.X, c.Y, c.W, c.H, res.ScrollWidth, res.ScrollHeight))
		case c.Display == "none" || c.Visibility != "visible" || c.Opacity < 0.99:
			out = append(out, fmt.Sprintf("chart of %s is hidden (display %s, visibility %s, opacity %v)", c.Section, c.Display, c.Visibility, c.Opacity))
		case !c.Hit:
			out = append(out, fmt.Sprintf("chart of %s is covered by another element at its centre", c.Section))
		case c.Paths < 10:
			out = append(out, fmt.Sprintf("chart of %s has %d paths: nothing drawn", c.Section, c.Paths))
		}
	}
	for _, s := range sections {
		if !found[s] {
			out = append(out, "no chart in section "+s)
		}
	}
	return out
}

// colouredPixels counts the pixels in r that are clearly coloured (not
// white, grey or black): the chart's lines and markers.
func colouredPixels(img image.Image, r image.Rectangle) int {
	r = r.Intersect(img.Bounds())
	coloured := func(cr, cg, cb uint8) bool {
		return max(cr, cg, cb)-min(cr, cg, cb) > 60
	}
	n := 0
	if rgba, ok := img.(*image.RGBA); ok { // what chromium writes; At is slow
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := rgba.Pix[rgba.PixOffset(r.Min.X, y):rgba.PixOffset(r.Max.X, y)]
			for i := 0; i+3 < len(row); i += 4 {
				if coloured(row[i], row[i+1], row[i+2]) {
					n++
				}
			}
		}
		return n
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if coloured(c.R, c.G, c.B) {
				n++
			}
		}
	}
	return n
}

// The report opens in a real browser without errors, every chart is
// visible on the page, and the screenshot shows them drawn.
func TestHTMLInBrowser(t *testing.T) {
	requireChromium(t)
	for _, fx := range []string{"results", "results-sweep"} {
		t.Run(fx, func(t *testing.T) {
			r := chartFixture(t, fx+".json")
			var b bytes.Buffer
			if err := render.WriteHTML(&b, r); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			var sections []string
			for _, m := range regexp.MustCompile(`<section class="scenario" id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
				sections = append(sections, m[1])
			}
			if len(sections) != len(r.Scenarios) {
				t.Fatalf("%d scenario sections, want %d", len(sections), len(r.Scenarios))
			}

			res, console := browserProbe(t, page)
			for _, p := range browserProblems(res, console, sections) {
				t.Error(p)
			}
			if t.Failed() {
				return
			}

			// The screenshot is of the report as shipped, without the probe,
			// in a window as tall as the page.
			dir := t.ArtifactDir()
			file := filepath.Join(dir, "report.html")
			if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			shot := filepath.Join(dir, "report.png")
			height := int(res.ScrollHeight)
			_, console = runChromium(t, file, fmt.Sprintf("--window-size=%d,%d", browserWidth, height), "--screenshot="+shot)
			for _, c := range console {
				t.Errorf("console: %s", c)
			}
			f, err := os.Open(shot)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if got := img.Bounds().Size(); got.X != browserWidth || got.Y != height {
				t.Errorf("screenshot is %v, want %dx%d", got, browserWidth, height)
			}
			for _, c := range res.Charts {
				rect := image.Rect(int(c.X), int(c.Y), int(c.X+c.W), int(c.Y+c.H))
				if n := colouredPixels(img, rect); n < 500 {
					t.Errorf("chart of %s: %d coloured pixels in the screenshot, want its lines (≥ 500)", c.Section, n)
				}
			}
			t.Logf("screenshot: %s (go test -artifacts -outputdir DIR keeps it)", shot)
			// The repository shows the sweep's report: every part of the page
			// (settings, ranges, charts) at a quarter of the full catalogue's
			// 17000 px and 2 MB.
			if *update && fx == "results-sweep" {
				data, err := os.ReadFile(shot)
				if err == nil {
					err = os.WriteFile(filepath.Join("..", "docs", "report-screenshot.png"), data, 0o644)
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// The browser check catches what it is there to catch: console messages,
// resources that fail to load, and charts that are hidden, off the page,
// covered or missing.
func TestHTMLInBrowserCheckCatches(t *testing.T) {
	requireChromium(t)
	r := chartFixture(t, "results-sweep.json")
	var b bytes.Buffer
	if err := render.WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := strings.Replace(b.String(), "</main>", `<img src="missing.png" alt="">
<script>console.error("planted error")</script>
<style>#scenario-weak-ref figure.chart svg { visibility: hidden }
#scenario-map-strategy figure.chart { position: absolute; left: -3000px }</style></main>`, 1)
	res, console := browserProbe(t, page)
	got := strings.Join(browserProblems(res, console, []string{"scenario-weak-ref", "scenario-map-strategy", "scenario-missing"}), "\n")
	for _, want := range []string{
		`console: "planted error"`,
		`console.error: planted error`,
		`failed to load <img>`,
		`chart of scenario-weak-ref is hidden`,
		`chart of scenario-map-strategy at (-`,
		`no chart in section scenario-missing`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the check missed %q; it found:\n%s", want, got)
		}
	}
}
