package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

// HeapSchema identifies version 1 of the heap analysis document that
// WriteHeapJSON writes.
const HeapSchema = "weakscope/heap/v1"

// HeapPaths are retention paths asked for beside an analysis: to the
// objects of a type or at an address.
type HeapPaths struct {
	// Query says what was asked, such as "type main.session" or
	// "address 0xc000123000".
	Query string
	Paths []inspect.RetentionPath
	// Retained is the bytes each path's object retains.
	Retained []uint64
}

// WriteHeapTable writes a heap analysis as text: what the dump holds, the
// largest classes (up to classes of them), the top dominators with their
// paths, and the paths asked for.
func WriteHeapTable(w io.Writer, a *inspect.HeapAnalysis, classes int, asked []HeapPaths) error {
	var b strings.Builder
	fmt.Fprintf(&b, "heap dump of a %s %s program: %s objects, %s\n", orUnknownText(a.GoVersion), orUnknownText(a.Arch), count(a.Objects), report.FormatBytes(float64(a.Bytes)))
	fmt.Fprintf(&b, "  reached from its roots: %s objects, %s\n", count(a.ReachedObjects), report.FormatBytes(float64(a.ReachedBytes)))
	fmt.Fprintf(&b, "  reached from no recorded root (garbage not yet collected, or held by cleanups): %s objects, %s\n\n", count(a.UnreachedObjects), report.FormatBytes(float64(a.UnreachedBytes)))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	header := []string{"type or size", "objects", "bytes", "share"}
	var rows [][]string
	for _, c := range a.Classes[:min(classes, len(a.Classes))] {
		rows = append(rows, []string{c.Name, count(c.Objects), report.FormatBytes(float64(c.Bytes)), percent(c.Bytes, a.Bytes)})
	}
	align := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	header, rows, align, _ = Fit(Width(w), header, rows, align, []int{0})
	if err := renderTable(w, header, rows, align, false); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\nTop %d dominators (what would be freed if each alone became unreachable):\n", len(a.Dominators)); err != nil {
		return err
	}
	header = []string{"#", "object", "type", "size", "retains", "objects", "share"}
	rows = nil
	for i, d := range a.Dominators {
		rows = append(rows, []string{strconv.Itoa(i + 1), fmt.Sprintf("%#x", d.Addr), orUnknownText(d.Type), report.FormatBytes(float64(d.Size)),
			report.FormatBytes(float64(d.Retained)), count(d.RetainedObjects), percent(d.Retained, a.ReachedBytes)})
	}
	align = []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	header, rows, align, _ = Fit(Width(w), header, rows, align, []int{2})
	if err := renderTable(w, header, rows, align, false); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("\nPaths from a root:\n")
	for i, d := range a.Dominators {
		fmt.Fprintf(&b, "  #%d: %s\n", i+1, d.Path)
	}
	for _, q := range asked {
		fmt.Fprintf(&b, "\nPaths to %s (%d):\n", q.Query, len(q.Paths))
		if len(q.Paths) == 0 {
			b.WriteString("  none found\n")
		}
		for i, p := range q.Paths {
			fmt.Fprintf(&b, "  retains %s: %s\n", report.FormatBytes(float64(q.Retained[i])), p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func count(n int) string { return strconv.Itoa(n) }

func percent(part, whole uint64) string {
	if whole == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

func orUnknownText(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// heapDoc is the JSON form of a heap analysis.
type heapDoc struct {
	Schema           string          `json:"schema"`
	GoVersion        string          `json:"go_version"`
	Arch             string          `json:"arch"`
	Objects          int             `json:"objects"`
	Bytes            uint64          `json:"bytes"`
	ReachedObjects   int             `json:"reached_objects"`
	ReachedBytes     uint64          `json:"reached_bytes"`
	UnreachedObjects int             `json:"unreached_objects"`
	UnreachedBytes   uint64          `json:"unreached_bytes"`
	Classes          []heapDocClass  `json:"classes"`
	Dominators       []heapDocObject `json:"dominators"`
	Asked            []heapDocQuery  `json:"paths,omitempty"`
}

type heapDocClass struct {
	Name    string `json:"name"`
	Typed   bool   `json:"typed"`
	Objects int    `json:"objects"`
	Bytes   uint64 `json:"bytes"`
}

type heapDocObject struct {
	Addr            string `json:"addr"`
	Size            uint64 `json:"size,omitempty"`
	Type            string `json:"type,omitempty"`
	Retained        uint64 `json:"retained"`
	RetainedObjects int    `json:"retained_objects,omitempty"`
	Path            string `json:"path"`
	Root            string `json:"root,omitempty"`
}

type heapDocQuery struct {
	Query   string          `json:"query"`
	Objects []heapDocObject `json:"objects"`
}

// WriteHeapJSON writes a heap analysis as a JSON document
// (schema weakscope/heap/v1): the counts, every class, the top dominators
// and the paths asked for, each path as text.
func WriteHeapJSON(w io.Writer, a *inspect.HeapAnalysis, asked []HeapPaths) error {
	doc := heapDoc{Schema: HeapSchema, GoVersion: a.GoVersion, Arch: a.Arch, Objects: a.Objects, Bytes: a.Bytes,
		ReachedObjects: a.ReachedObjects, ReachedBytes: a.ReachedBytes, UnreachedObjects: a.UnreachedObjects, UnreachedBytes: a.UnreachedBytes,
		Classes: []heapDocClass{}, Dominators: []heapDocObject{}}
	for _, c := range a.Classes {
		doc.Classes = append(doc.Classes, heapDocClass{c.Name, c.Typed, c.Objects, c.Bytes})
	}
	for _, d := range a.Dominators {
		doc.Dominators = append(doc.Dominators, heapDocObject{Addr: fmt.Sprintf("%#x", d.Addr), Size: d.Size, Type: d.Type,
			Retained: d.Retained, RetainedObjects: d.RetainedObjects, Path: d.Path.String(), Root: d.Path.Root.Name})
	}
	for _, q := range asked {
		dq := heapDocQuery{Query: q.Query, Objects: []heapDocObject{}}
		for i, p := range q.Paths {
			dq.Objects = append(dq.Objects, heapDocObject{Addr: fmt.Sprintf("%#x", p.Target), Retained: q.Retained[i], Path: p.String(), Root: p.Root.Name})
		}
		doc.Asked = append(doc.Asked, dq)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// HeapProfile builds a pprof profile of a heap analysis's retained memory:
// one sample per chain of dominators (Flame), valued in bytes
// (retained_space, the default) and objects (retained_objects), its stack
// the chain with the root outermost. "go tool pprof -http" shows it as a
// flame graph in which every frame's total is what it retains, and
// -diff_base compares two dumps.
func HeapProfile(a *inspect.HeapAnalysis, maxDepth int) (*profile.Profile, error) {
	p := &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "retained_space", Unit: "bytes"}, {Type: "retained_objects", Unit: "count"}},
		DefaultSampleType: "retained_space",
		PeriodType:        &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            1,
	}
	locs := map[string]*profile.Location{}
	loc := func(name string) *profile.Location {
		if l, ok := locs[name]; ok {
			return l
		}
		fn := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name}
		p.Function = append(p.Function, fn)
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn}}}
		p.Location = append(p.Location, l)
		locs[name] = l
		return l
	}
	for _, s := range a.Flame(maxDepth) {
		sample := &profile.Sample{Value: []int64{int64(s.Bytes), int64(s.Objects)}}
		// pprof lists a stack leaf first.
		for i := len(s.Stack) - 1; i >= 0; i-- {
			sample.Location = append(sample.Location, loc(s.Stack[i]))
		}
		p.Sample = append(p.Sample, sample)
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("heap profile: %w", err)
	}
	return p, nil
}

// WriteHeapProfile writes HeapProfile's profile, gzipped, as pprof reads it.
func WriteHeapProfile(w io.Writer, a *inspect.HeapAnalysis, maxDepth int) error {
	p, err := HeapProfile(a, maxDepth)
	if err != nil {
		return err
	}
	return p.Write(w)
}
