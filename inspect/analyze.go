package inspect

import (
	"cmp"
	"context"
	"debug/dwarf"
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	"github.com/weakscope/weakscope/inspect/heapdump"
	"github.com/weakscope/weakscope/inspect/heapgraph"
)

// HeapAnalysis is what a heap dump holds and what keeps it alive: a
// summary by type (or by allocation size where the type is not known), the
// objects that retain the most memory with the path from a root to each,
// and paths to any object asked for. Make one with [AnalyzeHeap].
type HeapAnalysis struct {
	// GoVersion and Arch describe the program that wrote the dump.
	GoVersion, Arch string
	// Objects and Bytes count every object in the dump.
	Objects int
	Bytes   uint64
	// Reached counts the objects a root of the dump reaches, Unreached
	// the others: garbage the last GC cycle had not collected yet, and
	// objects held only by roots a dump does not record (cleanups).
	ReachedObjects, UnreachedObjects int
	ReachedBytes, UnreachedBytes     uint64
	// Classes are the objects grouped by type, or by allocation size
	// ("object (48 B)") where the type is not known, most bytes first.
	Classes []HeapClass
	// Dominators are the objects that retain the most memory, most
	// first, none of them dominated by another in the list.
	Dominators []Dominator

	g  *graph
	dm *heapgraph.Dominators
	// inferred holds, per object, the type that the executable's DWARF
	// gives it along its path from a root, where one does.
	inferred []dwarf.Type
}

// typeName is object i's type: recorded in the heap, or inferred from its
// path, or "".
func (a *HeapAnalysis) typeName(i int) string {
	if t := a.g.typeOf(i); t != "" {
		return t
	}
	if a.inferred != nil && a.inferred[i] != nil {
		return goName(a.inferred[i])
	}
	return ""
}

// HeapClass is a group of objects of one type or one allocation size.
type HeapClass struct {
	// Name is the type, or "object (N B)" for objects of N bytes whose
	// type is not known.
	Name string
	// Typed says that Name is a type.
	Typed   bool
	Objects int
	Bytes   uint64
}

// Dominator is an object and the memory it retains: its own and that of
// every object reachable only through it.
type Dominator struct {
	Addr, Size uint64
	// Type is the object's type, or "" where it is not known.
	Type string
	// Retained is the bytes the object retains, itself included.
	Retained uint64
	// RetainedObjects is the number of objects it retains.
	RetainedObjects int
	// Path is the shortest chain of pointers from a root to the object.
	Path RetentionPath
}

// AnalyzeOption configures [AnalyzeHeap].
type AnalyzeOption interface{ applyAnalyze(*analyzeConfig) }

type analyzeConfig struct {
	exe string
	top int
	own bool // the dump is of this process: names and types from memory
}

type analyzeFunc func(*analyzeConfig)

func (f analyzeFunc) applyAnalyze(c *analyzeConfig) { f(c) }

// WithExecutable names globals and functions from the symbol table of exe,
// the program that wrote the dump.
func WithExecutable(exe string) AnalyzeOption {
	return analyzeFunc(func(c *analyzeConfig) { c.exe = exe })
}

// WithTop sets how many dominators the analysis lists (default 10).
func WithTop(n int) AnalyzeOption {
	return analyzeFunc(func(c *analyzeConfig) { c.top = max(n, 0) })
}

// AnalyzeHeap analyses a heap dump of another program (or of this one,
// read from a file): the dominator tree and every object's retained size
// (package heapgraph), a summary by type or size, the top dominators and
// their paths. Globals and functions are named from WithExecutable's
// symbol table, types from the dump's own records; without the executable,
// globals are named by their segment and offset. [AnalyzeThisProcess]
// analyses the running process, naming more.
func AnalyzeHeap(ctx context.Context, d *heapdump.Dump, opts ...AnalyzeOption) (*HeapAnalysis, error) {
	return analyzeHeap(ctx, d, opts)
}

// AnalyzeThisProcess writes a heap dump of this process (stopping the world
// for as long as that takes; see RetentionPaths for where and how large)
// and analyses it as AnalyzeHeap does, naming globals, functions and the
// types that malloc headers record from this process itself.
func AnalyzeThisProcess(ctx context.Context, opts ...AnalyzeOption) (*HeapAnalysis, error) {
	d, err := dumpHeap(ctx, retentionConfig{})
	if err != nil {
		return nil, fmt.Errorf("inspect: analysing the heap: %w", err)
	}
	return analyzeHeap(ctx, d, append(opts, analyzeFunc(func(c *analyzeConfig) { c.own = isOwnDump(d) })))
}

func analyzeHeap(ctx context.Context, d *heapdump.Dump, opts []AnalyzeOption) (*HeapAnalysis, error) {
	cfg := analyzeConfig{top: 10}
	for _, o := range opts {
		o.applyAnalyze(&cfg)
	}
	n := noNames()
	switch {
	case cfg.own:
		n = ownNames(true)
	case cfg.exe != "":
		var err error
		if n, err = exeNames(cfg.exe); err != nil {
			return nil, fmt.Errorf("inspect: analysing the heap: %w", err)
		}
	}
	g := newGraph(d, n)
	// The order of the search is needed only to infer types from DWARF.
	g.keepOrder = n.dwarf() != nil
	if err := g.search(ctx); err != nil {
		return nil, fmt.Errorf("inspect: analysing the heap: %w", err)
	}
	dm := heapgraph.New(d).Dominators()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("inspect: analysing the heap: %w", err)
	}
	a := &HeapAnalysis{GoVersion: d.Params.GoVersion, Arch: d.Params.Arch, Objects: len(d.Objects), g: g, dm: dm}
	a.ReachedObjects, a.ReachedBytes = dm.Reached()
	a.UnreachedObjects, a.UnreachedBytes = dm.Unreached()
	a.Bytes = a.ReachedBytes + a.UnreachedBytes

	a.inferred = g.inferTypes()
	classes := map[string]*HeapClass{}
	for i, o := range d.Objects {
		name, typed := a.typeName(i), true
		if name == "" {
			name, typed = "object ("+byteSize(o.Size)+")", false
		}
		c := classes[name]
		if c == nil {
			c = &HeapClass{Name: name, Typed: typed}
			classes[name] = c
		}
		c.Objects++
		c.Bytes += o.Size
	}
	for _, c := range classes {
		a.Classes = append(a.Classes, *c)
	}
	slices.SortFunc(a.Classes, func(x, y HeapClass) int {
		return cmp.Or(cmp.Compare(y.Bytes, x.Bytes), cmp.Compare(x.Name, y.Name))
	})

	for _, i := range dm.Top(cfg.top) {
		o := d.Objects[i]
		a.Dominators = append(a.Dominators, Dominator{
			Addr: o.Addr, Size: o.Size, Type: a.typeName(i), Retained: dm.Retained(i), RetainedObjects: dm.RetainedObjects(i),
			Path: g.path(uintptr(o.Addr)),
		})
	}
	return a, nil
}

// isOwnDump says whether d, which this process wrote, may have its type
// words read from memory: the same runtime and pointer size.
func isOwnDump(d *heapdump.Dump) bool {
	return d.Params.GoVersion == runtime.Version() && d.Params.PtrSize == int(unsafe.Sizeof(uintptr(0)))
}

// Path returns the retention path of the object that holds addr.
func (a *HeapAnalysis) Path(addr uint64) RetentionPath { return a.g.path(uintptr(addr)) }

// Find returns the addresses of up to limit objects whose type (or
// "object (N B)" class name) is name, the ones retaining most first.
func (a *HeapAnalysis) Find(name string, limit int) []uint64 {
	var idx []int
	for i := range a.g.d.Objects {
		t := a.typeName(i)
		if t == "" {
			t = "object (" + byteSize(a.g.d.Objects[i].Size) + ")"
		}
		if t == name || shortName(t) == name {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(a.dm.Retained(y), a.dm.Retained(x)) })
	out := make([]uint64, 0, min(limit, len(idx)))
	for _, i := range idx[:min(limit, len(idx))] {
		out = append(out, a.g.d.Objects[i].Addr)
	}
	return out
}

// Retained returns the bytes retained by the object that holds addr.
func (a *HeapAnalysis) Retained(addr uint64) uint64 {
	if i, ok := a.g.d.Find(addr); ok {
		return a.dm.Retained(i)
	}
	return 0
}

// FlameSample is one stack of the retained-memory flame graph: the chain of
// dominators from a root down to a group of objects, and the bytes and
// objects at its end.
type FlameSample struct {
	// Stack names the root first ("global main.sessions"), then each
	// dominator's type (or "object (N B)") down to the objects'.
	Stack   []string
	Bytes   uint64
	Objects int
}

// Flame returns the analysis as a flame graph of retained memory: every
// reached object counted once, under the chain of its dominators, with
// objects of the same chain (by names) merged. Chains longer than
// maxDepth names keep their first maxDepth-1 and their last. A frame's
// total in the graph is then what its dominators retain.
func (a *HeapAnalysis) Flame(maxDepth int) []FlameSample {
	maxDepth = max(maxDepth, 2)
	d := a.g.d
	type node struct {
		parent int32 // the chain this one extends, or -1
		name   string
		depth  int
	}
	var chains []node
	type chainKey struct {
		parent int32
		name   string
	}
	intern := map[chainKey]int32{}
	chainOf := make([]int32, len(d.Objects))
	get := func(parent int32, name string) int32 {
		key := chainKey{parent, name}
		if c, ok := intern[key]; ok {
			return c
		}
		depth := 1
		if parent >= 0 {
			depth = chains[parent].depth + 1
		}
		chains = append(chains, node{parent, name, depth})
		intern[key] = int32(len(chains) - 1)
		return int32(len(chains) - 1)
	}
	name := func(i int) string {
		if t := a.typeName(i); t != "" {
			return t
		}
		return "object (" + byteSize(d.Objects[i].Size) + ")"
	}
	bytes := map[int32]uint64{}
	objects := map[int32]int{}
	for i := range a.dm.Preorder() {
		idom, _ := a.dm.IDom(i)
		var parent int32
		if idom == heapgraph.Root {
			parent = get(-1, a.g.rootLabel(int32(i)))
		} else {
			parent = chainOf[idom]
		}
		if chains[parent].depth >= maxDepth-1 && idom != heapgraph.Root {
			// Deep chains fold: the rest of the chain collapses into its
			// last name.
			parent = chains[parent].parent
		}
		c := get(parent, name(i))
		chainOf[i] = c
		bytes[c] += d.Objects[i].Size
		objects[c]++
	}
	out := make([]FlameSample, 0, len(bytes))
	for c, b := range bytes {
		var stack []string
		for x := c; x >= 0; x = chains[x].parent {
			stack = append(stack, chains[x].name)
		}
		slices.Reverse(stack)
		out = append(out, FlameSample{Stack: stack, Bytes: b, Objects: objects[c]})
	}
	slices.SortFunc(out, func(x, y FlameSample) int { return slices.Compare(x.Stack, y.Stack) })
	return out
}

// inferTypes gives every object the search reached the type that the
// executable's DWARF says along the way it was first reached: from a
// global's type, through the fields, elements and map internals that lead
// to it, as annotate does for one path. Objects with a malloc header take
// its type instead. It returns nil without DWARF.
func (g *graph) inferTypes() []dwarf.Type {
	dw := g.names.dwarf()
	if dw == nil {
		return nil
	}
	types := make([]dwarf.Type, len(g.d.Objects))
	for _, i := range g.order {
		if t := g.headerType(dw, int(i)); t != nil {
			types[i] = t
			continue
		}
		p, off := g.parent[i], g.via[i]
		if p >= 0 {
			pt := types[p]
			if pt == nil {
				continue
			}
			t, _ := nextType(dw, pt, off-g.headerAt(int(p), off), g.d.Objects[i].Size)
			if t == nil {
				t = g.ifaceTarget(dw, g.d.Objects[p].Addr+off)
			}
			types[i] = g.checkStart(t, g.d.Objects[p].Addr, off, g.d.Objects[i].Addr)
			continue
		}
		types[i] = g.rootStart(dw, g.roots[-2-p], off, g.d.Objects[i].Addr).first
	}
	return types
}

// rootLabel names the root that the search first reached object i from,
// as "KIND NAME" ("global main.sessions", "stack main.main"), without
// building the path: the object on i's search path that a root points to
// is remembered for every object on the way (g.top), so that labelling
// every object costs time in proportion to their number.
func (g *graph) rootLabel(i int32) string {
	if g.top == nil {
		g.top = make([]int32, len(g.parent))
		for j := range g.top {
			g.top[j] = -1
		}
		g.labels = map[[2]uint64]string{}
	}
	var path []int32
	cur := i
	for g.top[cur] < 0 {
		path = append(path, cur)
		p := g.parent[cur]
		if p < 0 {
			g.top[cur] = cur
			break
		}
		cur = p
	}
	top := g.top[cur]
	for _, x := range path {
		g.top[x] = top
	}
	ref := -2 - g.parent[top]
	key := [2]uint64{uint64(ref), g.via[top]}
	if l, ok := g.labels[key]; ok {
		return l
	}
	r := g.root(g.roots[ref], g.via[top])
	l := string(r.Kind) + " " + shortName(orUnknown(r.Name))
	g.labels[key] = l
	return l
}
