package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/weakscope/weakscope/report"
)

// Files written by WriteFiles, relative to the output directory.
const (
	ResultsName = "results.json"
	HTMLName    = "report.html"
	// ChartName is the chart of one scenario, in the scenario's directory
	// next to its heap profiles.
	ChartName = "chart.svg"
)

// WriteFiles writes every file view of r into dir: results.json, the
// retention profile, report.html and one chart per scenario with a timeline
// (<scenario>/chart.svg). Everything is rendered before anything is
// written, so a rendering error leaves dir as it was, and each file is
// written atomically. dir must exist.
func WriteFiles(dir string, r *report.Results) error {
	type file struct {
		name   string
		render func(*bytes.Buffer) error
	}
	// Each chart is drawn once, for its file and for the page.
	charts := make([][]byte, len(r.Scenarios))
	for i, s := range r.Scenarios {
		if !hasTimeline(s) {
			continue
		}
		var b bytes.Buffer
		if err := WriteChartSVG(&b, s); err != nil {
			return fmt.Errorf("rendering %s: %w", filepath.Join(s.Name, ChartName), err)
		}
		charts[i] = b.Bytes()
	}
	chart := func(i int) ([]byte, error) {
		if charts[i] == nil {
			return nil, ErrNothingToDraw
		}
		return charts[i], nil
	}
	files := []file{
		{ResultsName, func(b *bytes.Buffer) error { return r.Encode(b) }},
		{RetentionProfileName, func(b *bytes.Buffer) error { return WriteRetentionProfile(b, r) }},
		{HTMLName, func(b *bytes.Buffer) error { return writeHTML(b, r, chart) }},
	}
	for i, s := range r.Scenarios {
		if charts[i] != nil {
			files = append(files, file{filepath.Join(s.Name, ChartName), func(b *bytes.Buffer) error { _, err := b.Write(charts[i]); return err }})
		}
	}
	rendered := make([][]byte, len(files))
	for i, f := range files {
		var b bytes.Buffer
		if err := f.render(&b); err != nil {
			return fmt.Errorf("rendering %s: %w", f.name, err)
		}
		rendered[i] = b.Bytes()
	}
	for i, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := report.WriteFileAtomic(path, rendered[i]); err != nil {
			return err
		}
	}
	return nil
}

func hasTimeline(s report.ScenarioResult) bool {
	for _, v := range s.Variants {
		if v.Error == "" && len(v.Timeline) > 0 {
			return true
		}
	}
	return false
}
