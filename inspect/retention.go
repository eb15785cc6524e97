package inspect

import (
	"cmp"
	"context"
	"debug/dwarf"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"unsafe"
	"weak"

	"github.com/weakscope/weakscope/inspect/heapdump"
)

// RootKind says what kind of GC root a retention path starts at.
type RootKind string

// The kinds of roots, in the order [RetentionPaths] prefers them when
// two paths are equally short.
const (
	// RootGlobal is a word of the data or bss segment: a global variable.
	RootGlobal RootKind = "global"
	// RootStack is a word of a goroutine's stack frame.
	RootStack RootKind = "stack"
	// RootFinalizer is a finalizer set with [runtime.SetFinalizer]. It
	// keeps alive what its object points to and its function, but not
	// the object itself.
	RootFinalizer RootKind = "finalizer"
	// RootQueuedFinalizer is a finalizer whose object was found
	// unreachable and which waits to run. It keeps its object and its
	// function alive.
	RootQueuedFinalizer RootKind = "queued finalizer"
	// RootOther is any other root the heap dump lists: a goroutine's
	// closure context, a deferred call's function or a panic's value.
	RootOther RootKind = "other"
	// RootCleanup is a cleanup added with [runtime.AddCleanup]. Heap
	// dumps leave cleanups out, so these roots are inferred; see
	// [RetentionPaths].
	RootCleanup RootKind = "cleanup"
)

// Root is where a retention path starts.
type Root struct {
	Kind RootKind
	// Name is never empty. For a global it is the variable's name, such
	// as "github.com/x/y.registry", or the word's place in its segment,
	// such as "bss+0x1a40", when the variable has no name (see
	// [NameGlobal]); for a stack frame, the frame's function, such as
	// "main.worker"; for finalizers and cleanups, the name of their
	// function, or "unknown" when it cannot be told.
	Name string
	// Detail says more: "bss" or "data" for a global; "goroutine 7,
	// frame 2" for a stack frame; "on object 0xc000010000" for a
	// finalizer; for a cleanup, whether it was inferred from its
	// function's closure or from its argument.
	Detail string
	// Offset is the byte offset of the pointer word within the global
	// variable, the stack frame or the finalizer's object.
	Offset uint64
	// Type and Field, where the executable's DWARF says, are a global
	// variable's type and the field path to the pointer word within it,
	// such as "*main.SessionCache" and ".m"; for a finalizer, its
	// object's type and the field that points on; for a stack frame, the
	// type of the frame's variable that holds the pointer, and the
	// variable's name with the field path, such as "s.items".
	Type, Field string
}

// Step is one heap object on a retention path.
type Step struct {
	// Addr is the address of the object's allocation slot.
	Addr uintptr
	// Size is the size of the slot in bytes.
	Size uint64
	// Offset is the byte offset, within this object, of the pointer to
	// the next step; 0 for the last step.
	Offset uint64
	// Type is the object's type, best effort: a Go type name such as
	// "main.Report", "[]main.Report" for an array of them ("[]main.Report
	// elements" where the executable's DWARF named it), "func NAME"
	// for a closure, or "" when unknown. Only objects with pointers of
	// more than 512 bytes and less than 32 KiB record their type in the
	// heap (a 32 KiB slot may hold an object that does not); with the
	// executable's DWARF, types also follow from the type of the root and
	// of the steps before.
	Type string
	// Field is the field path, within this object, to the pointer to the
	// next step, such as ".m" or ".items[3].next", where the object's type
	// is known; "" otherwise (Offset still says where).
	Field string
}

// RetentionPath is the shortest chain of pointers from a GC root to a
// target object.
type RetentionPath struct {
	// Target is the address the path was asked for.
	Target uintptr
	// Found is false when the target is not in the heap (it was freed)
	// or no known root reaches it (it waits to be collected).
	Found bool
	// Root is where the path starts.
	Root Root
	// Steps lists the heap objects from the first one after the root to
	// the one containing Target, which is last.
	Steps []Step

	inHeap bool // the target is in the heap, reachable or not
	// rootAddr is, for a global root, the address of its pointer word,
	// or of the named global that points to the statically allocated
	// value that holds it.
	rootAddr uint64
	// root is the root the path starts at, and rootOff the offset of its
	// pointer word, for typing the path (rootStart).
	root    rootRef
	rootOff uint64
}

// String renders the path on one line, such as
//
//	global scenario.reportStore (bss) → object (48 B) → object+0x18 (8.0 KiB) → scenario.Report (1.0 KiB)
//
// where "+0x18" is the offset of the pointer to the next step, shown when
// it is not 0. Package paths are shortened to their last element. A path
// not found reads "not retained" when the target is in the heap but no
// root reaches it, and "not found in the heap" when it is not in the heap.
func (p RetentionPath) String() string {
	if !p.Found {
		if p.inHeap {
			return "not retained"
		}
		return "not found in the heap"
	}
	var b strings.Builder
	b.WriteString(p.Root.describe())
	for i, s := range p.Steps {
		b.WriteString(" → ")
		name := s.Type
		if name == "" {
			name = "object"
		} else if fn, ok := strings.CutPrefix(name, "func "); ok {
			name = "func " + shortName(fn)
		} else {
			name = shortTypeName(name)
		}
		b.WriteString(name)
		if i < len(p.Steps)-1 {
			if s.Field != "" {
				b.WriteString(s.Field)
			} else {
				b.WriteString(offset(s.Offset))
			}
		}
		fmt.Fprintf(&b, " (%s)", byteSize(s.Size))
	}
	return b.String()
}

func (r Root) describe() string {
	name := shortName(r.Name)
	switch r.Kind {
	case RootGlobal:
		if r.Type != "" {
			where := r.Field
			if where == "" {
				where = offset(r.Offset)
			}
			return fmt.Sprintf("global %s%s (%s, %s)", name, where, shortTypeName(r.Type), r.Detail)
		}
		return fmt.Sprintf("global %s%s (%s)", name, offset(r.Offset), r.Detail)
	case RootStack:
		if r.Type != "" {
			// The frame's variable that holds the pointer.
			return fmt.Sprintf("stack %s (%s) %s (%s)", name, r.Detail, r.Field, shortTypeName(r.Type))
		}
		return fmt.Sprintf("stack %s (%s)", name, r.Detail)
	case RootFinalizer, RootQueuedFinalizer:
		if r.Type != "" {
			// The field of the object that points on, and its type.
			return fmt.Sprintf("%s special %s%s (%s; func %s)", r.Kind, r.Detail, r.Field, shortTypeName(r.Type), name)
		}
		return fmt.Sprintf("%s special %s (func %s)", r.Kind, r.Detail, name)
	case RootCleanup:
		if r.Name == unknownFunc {
			return fmt.Sprintf("cleanup special (func unknown; %s)", r.Detail)
		}
		return fmt.Sprintf("cleanup special (func %s)", name)
	}
	return fmt.Sprintf("%s %s (%s)", r.Kind, name, r.Detail)
}

// shortTypeName shortens every package path in a type's name to its last
// element, as Go's %v of a type does: "github.com/x/y.T[github.com/x/z.U]"
// becomes "y.T[z.U]".
func shortTypeName(s string) string { return importPath.ReplaceAllString(s, "") }

// importPath matches the leading elements of an import path before a
// package-qualified name.
var importPath = regexp.MustCompile(`[\w.~-]+(/[\w.~-]+)*/`)

// shortName shortens the package path in a symbol name to its last
// element: "github.com/x/y.(*T).m" becomes "y.(*T).m".
func shortName(s string) string {
	end := len(s)
	if i := strings.IndexAny(s, "[("); i >= 0 {
		end = i
	}
	if i := strings.LastIndexByte(s[:end], '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func offset(off uint64) string {
	if off == 0 {
		return ""
	}
	return fmt.Sprintf("+%#x", off)
}

func byteSize(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// RetentionOption configures [RetentionPaths].
type RetentionOption interface {
	applyRetention(*retentionConfig)
}

type retentionConfig struct {
	dir      string
	maxBytes int64
	// alive says the targets are known to be alive (they survived a GC
	// cycle), so that an object no precise root reaches is looked for
	// from the stacks' other words too (see scanStacks).
	alive bool
	// known are the caller's types of objects, by address.
	known map[uintptr]reflect.Type
}

type retentionFunc func(*retentionConfig)

func (f retentionFunc) applyRetention(c *retentionConfig) { f(c) }

// WithTempDir sets the directory the heap dump is written to (default
// [os.TempDir]). The dump is about as large as the heap.
func WithTempDir(dir string) RetentionOption {
	return retentionFunc(func(c *retentionConfig) { c.dir = dir })
}

// WithMaxDumpBytes refuses to dump a heap whose live bytes exceed n, and
// to read a dump larger than n (default: no limit). The error then wraps
// [ErrDumpTooLarge].
func WithMaxDumpBytes(n int64) RetentionOption {
	return retentionFunc(func(c *retentionConfig) { c.maxBytes = n })
}

// WithObjectTypes gives the types of objects that the caller knows, by
// address (a value it holds, such as the subject of a scenario): their
// steps are named by them and, with the executable's DWARF, so are the
// steps after them, field by field, as from a global of a known type.
func WithObjectTypes(types map[uintptr]reflect.Type) RetentionOption {
	return retentionFunc(func(c *retentionConfig) { c.known = types })
}

// ErrDumpTooLarge is wrapped by the error [RetentionPaths] returns when the
// heap is larger than [WithMaxDumpBytes] allows.
var ErrDumpTooLarge = errors.New("heap dump too large")

// RetentionPaths explains what keeps objects alive. It writes a heap dump
// of the current process to a temporary file (removed afterwards), reads
// it, and returns one path per target, in the order of targets.
//
// Targets are addresses taken while the objects were alive, as
// uintptr(unsafe.Pointer(p)): a uintptr keeps nothing alive. An address
// inside an object stands for that object. Call [runtime.GC] first (or
// [Settle]), so that objects no longer reachable are gone and reported as
// not found; the dump is a snapshot and does not collect.
//
// Each path is a shortest one, counted in heap objects, from any root.
// Among equally short paths the one found first wins, with roots taken in
// this order: globals (data, then bss, by address), stack frames
// (goroutine by goroutine, innermost frame first), finalizers, queued
// finalizers, other roots, then cleanups.
//
// Heap dumps do not list cleanups. Objects that no listed root reaches are
// therefore searched a second time, from the objects a cleanup would hold:
// unreachable closures (the cleanup's function, named in the root) and
// unreachable objects with pointers that no other unreachable object
// points to (the cleanup's argument; its function cannot be told). These
// roots are guesses: garbage allocated since the last collection looks the
// same, which is one more reason to collect first.
//
// Writing the dump stops the world for a time that grows with the heap
// (about 10 ms for a small heap), and the dump is about as large as the
// heap; see [WithTempDir] and [WithMaxDumpBytes].
func RetentionPaths(ctx context.Context, targets []uintptr, opts ...RetentionOption) ([]RetentionPath, error) {
	var cfg retentionConfig
	for _, o := range opts {
		o.applyRetention(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("inspect: retention paths: %w", err)
	}
	if cfg.maxBytes > 0 {
		if live := Read().HeapLiveBytes; live > uint64(cfg.maxBytes) {
			return nil, fmt.Errorf("inspect: retention paths: %w: %d live heap bytes, limit %d", ErrDumpTooLarge, live, cfg.maxBytes)
		}
	}
	d, err := dumpHeap(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("inspect: retention paths: %w", err)
	}
	g := newGraph(d, ownNames(isOwnDump(d)))
	g.conservative = cfg.alive
	g.known = cfg.known
	if err := g.search(ctx); err != nil {
		return nil, fmt.Errorf("inspect: retention paths: %w", err)
	}
	paths := make([]RetentionPath, len(targets))
	for i, t := range targets {
		paths[i] = g.path(t)
		nameMapInternals(paths[i].Steps)
	}
	return paths, nil
}

// WhyAlive reports the retention path of the object p points to, or a path
// with Found false if it was collected. It runs a GC cycle first, so that
// an object merely waiting to be collected counts as collected. See
// [RetentionPaths] for what a path holds and what it costs.
func WhyAlive[T any](p weak.Pointer[T]) (RetentionPath, error) {
	runtime.GC()
	addr := weakAddr(p)
	if addr == 0 {
		return RetentionPath{}, nil
	}
	// It survived the cycle: it is alive, so the stacks' stack objects may
	// be searched too.
	// Its type is T, whatever the heap records.
	paths, err := RetentionPaths(context.Background(), []uintptr{addr},
		retentionFunc(func(c *retentionConfig) { c.alive = true }),
		WithObjectTypes(map[uintptr]reflect.Type{addr: reflect.TypeFor[T]()}))
	if err != nil {
		return RetentionPath{Target: addr}, err
	}
	return paths[0], nil
}

// weakAddr returns the address p points to, or 0. It keeps the strong
// pointer in its own frame, which is gone when it returns.
//
//go:noinline
func weakAddr[T any](p weak.Pointer[T]) uintptr {
	return uintptr(unsafe.Pointer(p.Value()))
}

// ErrNoRoom is wrapped by the error RetentionPaths returns when the heap
// dump does not fit in its directory: refused before writing when the
// file system says it cannot, or found cut short after.
var ErrNoRoom = errors.New("no room for the heap dump")

// DumpSize estimates the size of a heap dump of this process now: about
// the heap (every object's contents), plus its stacks and the runtime's
// records of types, roots and specials.
func DumpSize() uint64 {
	r := Read()
	return r.HeapObjectBytes + r.HeapObjectBytes/8 + 1<<20
}

func dumpHeap(ctx context.Context, cfg retentionConfig) (*heapdump.Dump, error) {
	dir := cfg.dir
	if dir == "" {
		dir = os.TempDir()
	}
	need := estimateDump()
	if free, ok := freeSpace(dir); ok && free < need {
		return nil, fmt.Errorf("%w: it needs about %s in %s, which has %s free (write it elsewhere with TMPDIR or WithTempDir)", ErrNoRoom, formatSize(need), dir, formatSize(free))
	}
	f, err := os.CreateTemp(dir, "weakscope-*.heapdump")
	if err != nil {
		return nil, fmt.Errorf("cannot write the heap dump in %s: %w", dir, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// WriteHeapDump reports no error: a dump that did not fit is merely
	// cut short, and the reader below finds it so.
	debug.WriteHeapDump(f.Fd())
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if cfg.maxBytes > 0 && info.Size() > cfg.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrDumpTooLarge, info.Size(), cfg.maxBytes)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	d, err := heapdump.Read(ctxReader{ctx, f})
	if err != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		if free, ok := freeSpace(dir); ok && free < 1<<20 {
			return nil, fmt.Errorf("%w: the dump written to %s was cut short at %s: the file system is full (it needs about %s; write it elsewhere with TMPDIR or WithTempDir)", ErrNoRoom, dir, formatSize(uint64(info.Size())), formatSize(need))
		}
	}
	return d, err
}

// estimateDump is DumpSize; tests replace it to write a dump that cannot
// fit.
var estimateDump = DumpSize

// formatSize shows a byte count in MiB, or KiB when smaller.
func formatSize(n uint64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// graph finds, by breadth-first search, how every object in a dump is
// first reached from the roots.
type graph struct {
	d     *heapdump.Dump
	names names // what turns the dump's addresses into names
	// conservative has the search try the stacks' every word for the
	// objects no precise root reaches (scanStacks).
	conservative bool
	// keepOrder has the search record in order every object it visits,
	// parents before children, for inferring types (inferTypes).
	keepOrder bool
	order     []int32
	// known are types the caller gave for objects of this process.
	known map[uintptr]reflect.Type
	// dumpTypes indexes the dump's types by address, built when first
	// needed.
	dumpTypes map[uint64]heapdump.Type
	// top and labels serve rootLabel.
	top    []int32
	labels map[[2]uint64]string

	// parent holds, per object, unvisited, the index of the object that
	// reached it, or rootParent(i) for g.roots[i]; via holds the offset
	// of the pointer within that object or root.
	parent []int32
	via    []uint64
	roots  []rootRef
	queue  []int32
	head   int
}

const unvisited = -1

func rootParent(i int) int32 { return int32(-2 - i) }

// rootRef says which root reached an object; Root values are only built
// for the roots of the paths asked for.
type rootRef struct {
	kind  RootKind
	what  rootWhat
	index int // into the dump's Segments, Frames, Finalizers, ... or Objects
}

type rootWhat uint8

const (
	whatWord         rootWhat = iota // a word of a segment, frame or object
	whatFunc                         // a finalizer's function value
	whatObject                       // a queued finalizer's object
	whatCtxt                         // a goroutine's closure context
	whatDefer                        // a deferred call's function
	whatPanic                        // a panic's value
	whatOther                        // a root the runtime describes
	whatClosure                      // an unreachable closure: a cleanup's function
	whatArgument                     // an unreachable object: a cleanup's argument
	whatConservative                 // a frame's word that is not a pointer local: a stack object's
)

const unknownFunc = "unknown"

func newGraph(d *heapdump.Dump, n names) *graph {
	g := &graph{
		d:      d,
		names:  n,
		parent: make([]int32, len(d.Objects)),
		via:    make([]uint64, len(d.Objects)),
	}
	for i := range g.parent {
		g.parent[i] = unvisited
	}
	return g
}

// search visits every object a root reaches, first from the roots in the
// dump, then from the inferred cleanup roots.
func (g *graph) search(ctx context.Context) error {
	for r := range g.d.Roots() {
		g.seed(rootRefOf(r), r.Addr, r.Offset)
	}
	g.expand()
	if err := ctx.Err(); err != nil {
		return err
	}
	g.inferCleanups()
	if g.conservative {
		g.scanStacks()
	}
	return ctx.Err()
}

// staticReferrer finds, for a word at addr in a data or bss segment that
// no variable's name covers, the named global that points to the value
// holding it: the compiler allocates some values statically (var c =
// &Cache{…}, or a constructor it inlined), and their words, with the heap
// pointers in them, are anonymous. It returns the address of the global's
// pointer word and the offset of addr within the value it points to (at
// most 64 KiB), taking the closest value below addr.
func (g *graph) staticReferrer(addr uint64) (ref, delta uint64, ok bool) {
	const most = 64 << 10
	best := uint64(0)
	for _, s := range g.d.Segments {
		for _, w := range s.Static {
			if w.Value > addr || addr-w.Value > most {
				continue
			}
			at := s.Addr + w.Offset
			if _, _, named := g.names.global(at); !named {
				continue
			}
			if !ok || w.Value > best {
				ref, best, ok = at, w.Value, true
			}
		}
	}
	if !ok {
		return 0, 0, false
	}
	delta = addr - best
	// The word must lie inside the value the global points to: its size
	// from DWARF where the executable has it, else no more than a small
	// struct's worth, so that a word of another, anonymous value is not
	// put down to this global.
	limit := uint64(256)
	if dw := g.names.dwarf(); dw != nil {
		if v, found := dw.variable(ref); found {
			if pt, isPtr := under(dw.typ(v.typ)).(*dwarf.PtrType); isPtr && pt.Type.Size() > 0 {
				limit = uint64(pt.Type.Size())
			}
		}
	}
	if delta >= limit {
		return 0, 0, false
	}
	return ref, delta, true
}

// inspectPackage begins the names of this package's functions.
var inspectPackage = reflect.TypeFor[graph]().PkgPath() + "."

// scanStacks searches the objects still unvisited from every word of every
// stack frame that holds a heap address: the dump records a frame's pointer
// locals but not the pointers of its stack objects, which keep objects
// alive too. Such a word may be a stale or non-pointer value, so the roots
// found this way are marked conservative.
func (g *graph) scanStacks() {
	for i, f := range g.d.Frames {
		// inspect's own frames hold the addresses asked about.
		if strings.HasPrefix(f.Func, inspectPackage) {
			continue
		}
		for _, w := range f.Words {
			if j, ok := g.d.Find(w.Value); ok && g.parent[j] == unvisited {
				g.roots = append(g.roots, rootRef{kind: RootStack, what: whatConservative, index: i})
				g.visit(int32(j), rootParent(len(g.roots)-1), w.Offset)
			}
		}
	}
	g.expand()
}

// rootRefOf says which root of the dump a root pointer comes from.
func rootRefOf(r heapdump.RootPointer) rootRef {
	switch r.Kind {
	case heapdump.RootSegment:
		return rootRef{kind: RootGlobal, index: r.Index}
	case heapdump.RootFrame:
		return rootRef{kind: RootStack, index: r.Index}
	case heapdump.RootFinalizerObject:
		return rootRef{kind: RootFinalizer, index: r.Index}
	case heapdump.RootFinalizerFunc:
		return rootRef{kind: RootFinalizer, what: whatFunc, index: r.Index}
	case heapdump.RootQueuedObject:
		return rootRef{kind: RootQueuedFinalizer, what: whatObject, index: r.Index}
	case heapdump.RootQueuedFunc:
		return rootRef{kind: RootQueuedFinalizer, what: whatFunc, index: r.Index}
	case heapdump.RootGoroutineContext:
		return rootRef{kind: RootOther, what: whatCtxt, index: r.Index}
	case heapdump.RootDefer:
		return rootRef{kind: RootOther, what: whatDefer, index: r.Index}
	case heapdump.RootPanic:
		return rootRef{kind: RootOther, what: whatPanic, index: r.Index}
	}
	return rootRef{kind: RootOther, what: whatOther, index: r.Index}
}

// seed visits the object holding addr, if unvisited, from root r.
func (g *graph) seed(r rootRef, addr, off uint64) {
	i, ok := g.d.Find(addr)
	if !ok || g.parent[i] != unvisited {
		return
	}
	if n := len(g.roots); n == 0 || g.roots[n-1] != r {
		g.roots = append(g.roots, r)
	}
	g.visit(int32(i), rootParent(len(g.roots)-1), off)
}

func (g *graph) visit(i, parent int32, off uint64) {
	g.parent[i] = parent
	g.via[i] = off
	g.queue = append(g.queue, i)
	if g.keepOrder {
		g.order = append(g.order, i)
	}
}

// expand visits, breadth first, what the queued objects point to.
func (g *graph) expand() {
	d := g.d
	for ; g.head < len(g.queue); g.head++ {
		o := g.queue[g.head]
		for _, p := range d.Pointers(int(o)) {
			if i, ok := d.Find(p.Value); ok && g.parent[i] == unvisited {
				g.visit(int32(i), o, p.Offset)
			}
		}
	}
	// The queue is only needed while searching.
	g.queue, g.head = g.queue[:0], 0
}

// inferCleanups searches the objects still unvisited from those that a
// cleanup special would hold: its function's closure and its argument.
//
// Go 1.26 keeps a cleanup's function value and a heap copy of its argument
// in an off-heap record. AddCleanup also allocates a small adapter closure
// (runtime.AddCleanup[...].func1) that holds no heap pointers; finding one
// unreachable is the sign that cleanups exist at all.
func (g *graph) inferCleanups() {
	d := g.d
	pointed := make([]bool, len(d.Objects))
	for i := range d.Objects {
		if g.parent[i] != unvisited {
			continue
		}
		for _, p := range d.Pointers(i) {
			if j, ok := d.Find(p.Value); ok && j != i {
				pointed[j] = true
			}
		}
	}
	var closures, arguments []int32
	adapters := 0
	for i, o := range d.Objects {
		if g.parent[i] != unvisited {
			continue
		}
		name := g.names.fn(o.First)
		switch {
		case strings.HasPrefix(name, "runtime.AddCleanup["):
			adapters++
		case name != "" && len(d.Pointers(i)) > 0:
			closures = append(closures, int32(i))
		case name == "" && !pointed[i] && len(d.Pointers(i)) > 0:
			arguments = append(arguments, int32(i))
		}
	}
	if adapters == 0 {
		return
	}
	for _, i := range closures {
		g.roots = append(g.roots, rootRef{kind: RootCleanup, what: whatClosure, index: int(i)})
		g.visit(i, rootParent(len(g.roots)-1), 0)
	}
	for _, i := range arguments {
		g.roots = append(g.roots, rootRef{kind: RootCleanup, what: whatArgument, index: int(i)})
		g.visit(i, rootParent(len(g.roots)-1), 0)
	}
	g.expand()
}

// path returns the retention path of the object holding target.
func (g *graph) path(target uintptr) RetentionPath {
	rp := RetentionPath{Target: target}
	i, ok := g.d.Find(uint64(target))
	if !ok {
		return rp
	}
	rp.inHeap = true
	if g.parent[i] == unvisited {
		return rp
	}
	rp.Found = true
	var off uint64 // the offset of the pointer to the step after
	for cur := int32(i); ; {
		o := g.d.Objects[cur]
		rp.Steps = append(rp.Steps, Step{Addr: uintptr(o.Addr), Size: o.Size, Offset: off, Type: g.typeOf(int(cur))})
		p := g.parent[cur]
		off = g.via[cur]
		if p < 0 {
			r := g.roots[-2-p]
			rp.Root = g.root(r, off)
			rp.root, rp.rootOff = r, off
			if r.kind == RootGlobal && r.what == whatWord {
				rp.rootAddr = g.d.Segments[r.index].Addr + off
				if _, _, named := g.names.global(rp.rootAddr); !named {
					// A word of a statically allocated value: the global
					// that points to it.
					if ref, _, ok := g.staticReferrer(rp.rootAddr); ok {
						rp.rootAddr = ref
					}
				}
			}
			break
		}
		cur = p
	}
	slices.Reverse(rp.Steps)
	g.annotate(&rp)
	if rp.Root.Kind == RootGlobal && rp.Root.Type == "" && g.names.own && rp.rootAddr != 0 {
		// Without DWARF, the type NameGlobal was given.
		rp.Root.Type = registeredType(rp.rootAddr)
	}
	return rp
}

// annotate types the steps of a path from the executable's DWARF, where
// it has one: the root variable's type gives the first object's, and each
// known type, with the offset of the pointer to the next step, gives the
// next object's type and the field that holds the pointer.
func (g *graph) annotate(rp *RetentionPath) {
	// The types the caller knows name their steps, DWARF or not.
	for i := range rp.Steps {
		if rt, ok := g.known[rp.Steps[i].Addr]; ok && rp.Steps[i].Type == "" {
			rp.Steps[i].Type = rt.String()
		}
	}
	dw := g.names.dwarf()
	if dw == nil || len(rp.Steps) == 0 {
		return
	}
	types := make([]dwarf.Type, len(rp.Steps))
	rs := g.rootStart(dw, rp.root, rp.rootOff, uint64(rp.Steps[0].Addr))
	if rs.holder != nil {
		rp.Root.Type, rp.Root.Field = goName(rs.holder), rs.field
	}
	types[0] = rs.first
	for i := range rp.Steps {
		s := &rp.Steps[i]
		if rt, ok := g.known[s.Addr]; ok && types[i] == nil {
			types[i] = dw.runtimeType(typeWord(rt))
		}
		if types[i] == nil {
			types[i] = g.dwarfTypeOf(dw, s)
		}
		if fn, ok := strings.CutPrefix(s.Type, "func "); ok && types[i] == nil {
			// A closure: its captured variables, by name.
			if j, found := g.d.Find(uint64(s.Addr)); found {
				types[i] = dw.closure(g.d.Objects[j].First, fn)
			}
		}
		if s.Type == "" && types[i] != nil {
			s.Type = goName(types[i])
		}
		if types[i] == nil || i == len(rp.Steps)-1 {
			continue
		}
		var next dwarf.Type
		next, s.Field = nextType(dw, types[i], s.Offset-g.headerOf(s), rp.Steps[i+1].Size)
		if next == nil {
			next = g.ifaceTarget(dw, uint64(s.Addr)+s.Offset)
		}
		if types[i+1] == nil {
			types[i+1] = g.checkStart(next, uint64(s.Addr), s.Offset, uint64(rp.Steps[i+1].Addr))
		}
	}
}

// rootTyping is what the executable's DWARF says of a root's pointer word:
// the type of what holds it (a global variable, a frame's variable, a
// finalizer's object), the field path to the word within it (for a
// frame's variable, beginning with its name), and the type of the object
// it points to.
type rootTyping struct {
	holder dwarf.Type
	field  string
	first  dwarf.Type
}

// rootStart types the pointer word at offset off of root r, which points
// into the object at child.
func (g *graph) rootStart(dw *dwarfInfo, r rootRef, off, child uint64) rootTyping {
	var rt rootTyping
	var next dwarf.Type
	var value uint64 // the word's value: where in child it points
	var at uint64    // the word's address, for an interface's type word
	switch {
	case r.kind == RootGlobal && r.what == whatWord:
		seg := g.d.Segments[r.index]
		addr := seg.Addr + off
		value = segmentPointer(seg, off)
		static, delta := false, uint64(0)
		if _, _, named := g.names.global(addr); !named {
			ref, d, ok := g.staticReferrer(addr)
			if !ok {
				return rt
			}
			addr, static, delta = ref, true, d
		}
		rt.holder, rt.field, next = globalRootType(dw, addr, static, delta)
		if !static {
			at = addr
		}
	case r.kind == RootStack && r.what == whatWord:
		// The frame's variable that holds the word, at the frame's PC.
		f := g.d.Frames[r.index]
		value = framePointer(f, off)
		v, ok := dw.frameVar(f.Entry, f.PC, f.Size, off)
		if !ok {
			return rt
		}
		var field string
		next, field = pointee(v.typ, v.off)
		next = mapHeader(v.typ, v.off, next)
		rt.holder, rt.field, at = v.typ, v.name+field, f.SP+off
	case r.kind == RootFinalizer && r.what == whatWord:
		// A finalizer keeps what its object points to: the object's
		// type, which the finalizer records, types the word.
		f := g.d.Finalizers[r.index]
		j, found := g.d.Find(f.Obj)
		pt, isPtr := under(dw.runtimeType(f.ObjType)).(*dwarf.PtrType)
		if !found || !isPtr {
			return rt
		}
		value, _ = g.pointerAt(j, off)
		next, rt.field = pointee(pt.Type, off-g.headerAt(j, off))
		next = mapHeader(pt.Type, off-g.headerAt(j, off), next)
		rt.holder, at = pt.Type, g.d.Objects[j].Addr+off
	default:
		return rt
	}
	if next != nil && isTrieNode(next) {
		if ci, ok := g.d.Find(child); ok {
			next = dw.trieNode(next, g.d.Objects[ci].Size)
		}
	}
	if next == nil && at != 0 {
		next = g.ifaceTarget(dw, at)
	}
	rt.first = g.startsAt(next, value, child)
	return rt
}

// checkStart keeps next, the type a pointer at offset off of the object at
// parent leads to, only if the pointer leads to the start of the object at
// child (its value, after a malloc header), or into an array of next's
// elements: a pointer into the middle of an object (&b.field) has the
// field's type, not the object's, and naming the object by it would be
// wrong.
func (g *graph) checkStart(next dwarf.Type, parent, off, child uint64) dwarf.Type {
	if next == nil {
		return nil
	}
	pi, ok := g.d.Find(parent)
	if !ok {
		return nil
	}
	v, ok := g.pointerAt(pi, off)
	if !ok {
		return nil
	}
	return g.startsAt(next, v, child)
}

// startsAt keeps next, the type a pointer of value v leads to, only if v
// is the start of the object at child (see checkStart).
func (g *graph) startsAt(next dwarf.Type, v, child uint64) dwarf.Type {
	if next == nil {
		return nil
	}
	if _, ok := next.(*elements); ok {
		return next
	}
	ci, ok := g.d.Find(child)
	if !ok {
		return nil
	}
	o := g.d.Objects[ci]
	if v == o.Addr+g.headerAt(ci, uint64(g.d.Params.PtrSize)) || (v == o.Addr && g.headerAt(ci, uint64(g.d.Params.PtrSize)) == 0) {
		return next
	}
	return nil
}

// framePointer is the value of a frame's pointer word at offset off, or 0.
func framePointer(f heapdump.Frame, off uint64) uint64 {
	j, found := slices.BinarySearchFunc(f.Pointers, off, func(p heapdump.Pointer, off uint64) int { return cmp.Compare(p.Offset, off) })
	if !found {
		return 0
	}
	return f.Pointers[j].Value
}

// segmentPointer is the value of a segment's pointer word at offset off,
// or 0.
func segmentPointer(s heapdump.Segment, off uint64) uint64 {
	j, found := slices.BinarySearchFunc(s.Pointers, off, func(p heapdump.Pointer, off uint64) int { return cmp.Compare(p.Offset, off) })
	if !found {
		return 0
	}
	return s.Pointers[j].Value
}

// pointerAt is the value of object i's pointer word at offset off.
func (g *graph) pointerAt(i int, off uint64) (uint64, bool) {
	ps := g.d.Pointers(i)
	j, found := slices.BinarySearchFunc(ps, off, func(p heapdump.Pointer, off uint64) int { return cmp.Compare(p.Offset, off) })
	if !found {
		return 0, false
	}
	return ps[j].Value, true
}

// ifaceTarget is the type of the object that the interface data word at
// addr points to, from the dump's record of its dynamic type: the pointed
// type of a pointer-shaped type, else the type of the boxed value.
func (g *graph) ifaceTarget(dw *dwarfInfo, addr uint64) dwarf.Type {
	typ, ok := g.d.InterfaceType(addr)
	if !ok {
		// No itab of the dump names it: the word before may be the
		// descriptor of the dynamic type of an any (an empty
		// interface), which only the executable knows.
		if typ, ok = g.d.TypeWord(addr); !ok {
			return nil
		}
	}
	t := dw.runtimeType(typ)
	if t == nil {
		return nil
	}
	if p := pointerShaped(t); p != nil {
		// The data word is the value itself: a pointer.
		return p.Type
	}
	return t
}

// pointerShaped is the pointer that a value of type t is, when t is a
// pointer or a struct or array that holds just one (an interface holds
// such a value in its data word itself, not in a copy on the heap), or
// nil.
func pointerShaped(t dwarf.Type) *dwarf.PtrType {
	for depth := 0; t != nil && depth < 16; depth++ {
		switch u := under(t).(type) {
		case *dwarf.PtrType:
			return u
		case *dwarf.StructType:
			var only *dwarf.StructField
			for _, f := range u.Field {
				if f.Type.Size() != 0 {
					if only != nil {
						return nil
					}
					only = f
				}
			}
			if only == nil || only.ByteOffset != 0 || u.Size() != only.Type.Size() || strings.HasPrefix(u.StructName, "[]") || u.StructName == "string" {
				return nil
			}
			t = only.Type
		case *dwarf.ArrayType:
			if u.Count != 1 {
				return nil
			}
			t = u.Type
		default:
			return nil
		}
	}
	return nil
}

// typeWord is the address of t's runtime type descriptor, the word a
// malloc header or an interface holds for it.
func typeWord(t reflect.Type) uint64 {
	if t == nil {
		return 0
	}
	return uint64((*[2]uintptr)(unsafe.Pointer(&t))[1])
}

// globalRootType types a global root's pointer word at addr: the
// variable's type, the field path to the word, and the type of the object
// it points to. For a word in a statically allocated value (static), addr
// is the named global's word that points to the value and delta the
// word's offset in it.
func globalRootType(dw *dwarfInfo, addr uint64, static bool, delta uint64) (vt dwarf.Type, field string, next dwarf.Type) {
	v, ok := dw.variable(addr)
	if !ok {
		return nil, "", nil
	}
	vt = dw.typ(v.typ)
	if static {
		pt, isPtr := under(vt).(*dwarf.PtrType)
		if !isPtr {
			return nil, "", nil
		}
		next, field = pointee(pt.Type, delta)
		return vt, field, mapHeader(pt.Type, delta, next)
	}
	next, field = pointee(vt, addr-v.addr)
	return vt, field, mapHeader(vt, addr-v.addr, next)
}

// nextType is the type of the object that a pointer at offset off in a
// value of type t points to, when that object is size bytes, and the field
// path to the pointer.
func nextType(dw *dwarfInfo, t dwarf.Type, off, size uint64) (dwarf.Type, string) {
	next, field := pointee(t, off)
	if next != nil && isTrieNode(next) {
		next = dw.trieNode(next, size)
	}
	out := arrayOf(mapHeader(t, off, next), size)
	if field == ".dirPtr" {
		// A map of up to eight entries has no directory: its header
		// points straight at its one group.
		if grp := dw.mapGroup(mapTypeName(t)); grp != nil && grp.Size() > 0 && size >= uint64(grp.Size()) && size < 2*uint64(grp.Size()) {
			out = grp
		}
	}
	return out, field
}

// mapTypeName is the name of the map type whose header t is, as Go writes
// it ("map[K]V"): the name a map field gave it (see mapHeader), or the
// DWARF name of the header itself, "map<K,V>"; "" for anything else.
func mapTypeName(t dwarf.Type) string {
	if n, ok := t.(*named); ok {
		return n.name
	}
	s, ok := under(t).(*dwarf.StructType)
	if !ok {
		return ""
	}
	args, ok := strings.CutPrefix(s.StructName, "map<")
	if !ok || !strings.HasSuffix(args, ">") {
		return ""
	}
	args = args[:len(args)-1]
	// The comma between K and V is the one outside every bracket.
	depth := 0
	for i, c := range args {
		switch c {
		case '[', '(', '{', '<':
			depth++
		case ']', ')', '}', '>':
			depth--
		case ',':
			if depth == 0 {
				return "map[" + args[:i] + "]" + args[i+1:]
			}
		}
	}
	return ""
}

// headerOf is the size of the malloc header before a step's value: a word
// for objects with pointers of more than 512 bytes and less than 32 KiB
// (see headerMin), nothing otherwise. A 32 KiB slot may be either, and is
// taken to have none.
func (g *graph) headerOf(s *Step) uint64 {
	i, ok := g.d.Find(uint64(s.Addr))
	if !ok {
		return 0
	}
	return g.headerAt(i, s.Offset)
}

// headerAt is the header size of object i, for a pointer at offset off.
func (g *graph) headerAt(i int, off uint64) uint64 {
	o := g.d.Objects[i]
	if o.HasPointers && o.Size > headerMin && o.Size < headerMax && off >= uint64(g.d.Params.PtrSize) {
		return uint64(g.d.Params.PtrSize)
	}
	return 0
}

// arrayOf is t, or the elements of an array of t when an object of size
// bytes holds two or more of them: a pointer to the first element of a
// slice's or a map's array has the element's type.
func arrayOf(t dwarf.Type, size uint64) dwarf.Type {
	if t == nil {
		return nil
	}
	if _, ok := t.(*elements); ok {
		return t
	}
	// An object of 16 bytes or less may be a tiny block that packs
	// several small values, not an array; but tiny blocks hold no
	// pointers.
	if es := t.Size(); es > 0 && (size > 16 || hasPointers(t, 0)) && size/uint64(es) >= 2 {
		return &elements{elem: t}
	}
	return t
}

// hasPointers says whether a value of type t holds pointers.
func hasPointers(t dwarf.Type, depth int) bool {
	if depth > 16 {
		return false
	}
	switch u := under(t).(type) {
	case *dwarf.PtrType, *dwarf.FuncType:
		return true
	case *dwarf.StructType:
		for _, f := range u.Field {
			if hasPointers(f.Type, depth+1) {
				return true
			}
		}
	case *dwarf.ArrayType:
		return u.Count > 0 && hasPointers(u.Type, depth+1)
	}
	return false
}

// mapHeader is next, the type a pointer leads to, except that a pointer
// held in a map's place leads to the map's header, named as the map.
func mapHeader(holder dwarf.Type, off uint64, next dwarf.Type) dwarf.Type {
	if next == nil {
		return nil
	}
	if field, _ := fieldAt(holder, off); field != nil && strings.HasPrefix(goName(field), "map[") {
		return &named{Type: next, name: goName(field)}
	}
	return next
}

// dwarfTypeOf is the DWARF type of a step's object, from its malloc
// header's type word.
func (g *graph) dwarfTypeOf(dw *dwarfInfo, s *Step) dwarf.Type {
	i, ok := g.d.Find(uint64(s.Addr))
	if !ok {
		return nil
	}
	return g.headerType(dw, i)
}

// headerType is the DWARF type that object i's malloc header names, or
// nil.
func (g *graph) headerType(dw *dwarfInfo, i int) dwarf.Type {
	o := g.d.Objects[i]
	if !o.HasPointers || o.Size <= headerMin || o.Size >= headerMax || o.First == 0 {
		return nil
	}
	t := dw.runtimeType(o.First)
	if t == nil {
		return nil
	}
	if size := t.Size(); size > 0 && (o.Size-uint64(g.d.Params.PtrSize))/uint64(size) >= 2 {
		return &elements{elem: t}
	}
	return t
}

// root builds the Root value of r, whose pointer is at offset off.
func (g *graph) root(r rootRef, off uint64) Root {
	d := g.d
	root := Root{Kind: r.kind, Offset: off}
	switch r.kind {
	case RootGlobal:
		s := d.Segments[r.index]
		root.Detail = s.Name
		if name, symOff, ok := g.names.global(s.Addr + off); ok {
			root.Name, root.Offset = name, symOff
		} else if ref, delta, ok := g.staticReferrer(s.Addr + off); ok {
			name, _, _ := g.names.global(ref)
			root.Name, root.Offset = name, delta
			root.Detail = s.Name + ", its statically allocated value"
		} else {
			root.Name, root.Offset = fmt.Sprintf("%s+%#x", s.Name, off), 0
		}
	case RootStack:
		f := d.Frames[r.index]
		root.Name = f.Func
		root.Detail = fmt.Sprintf("goroutine %d, frame %d", f.Goroutine, f.Depth)
		if r.what == whatConservative {
			root.Detail += "; stack object, conservative"
		}
	case RootFinalizer, RootQueuedFinalizer:
		f := d.Finalizers
		if r.kind == RootQueuedFinalizer {
			f = d.QueuedFinalizers
		}
		root.Name = orUnknown(g.names.fn(f[r.index].FnPC))
		root.Detail = fmt.Sprintf("on object %#x", f[r.index].Obj)
		if r.kind == RootQueuedFinalizer {
			root.Detail = fmt.Sprintf("for object %#x", f[r.index].Obj)
		}
	case RootCleanup:
		o := d.Objects[r.index]
		if r.what == whatClosure {
			root.Name = g.names.fn(o.First)
			root.Detail = "inferred from its function's closure"
		} else {
			root.Name = unknownFunc
			root.Detail = "inferred from its argument"
		}
	case RootOther:
		switch r.what {
		case whatCtxt:
			gr := d.Goroutines[r.index]
			root.Name, root.Detail = "closure context", fmt.Sprintf("goroutine %d", gr.ID)
		case whatDefer:
			x := d.Defers[r.index]
			root.Name, root.Detail = "deferred "+orUnknown(g.names.fn(x.FnPC)), g.goroutineOf(x.Goroutine)
		case whatPanic:
			root.Name, root.Detail = "panic value", g.goroutineOf(d.Panics[r.index].Goroutine)
		default:
			root.Name, root.Detail = orUnknown(d.OtherRoots[r.index].Description), "described by the runtime"
		}
	}
	return root
}

func (g *graph) goroutineOf(addr uint64) string {
	for _, gr := range g.d.Goroutines {
		if gr.Addr == addr {
			return fmt.Sprintf("goroutine %d", gr.ID)
		}
	}
	return fmt.Sprintf("goroutine at %#x", addr)
}

func orUnknown(s string) string {
	if s == "" {
		return unknownFunc
	}
	return s
}

// typeOf names the type of object i, best effort.
func (g *graph) typeOf(i int) string {
	o := g.d.Objects[i]
	if name := g.names.fn(o.First); name != "" {
		return "func " + name
	}
	p := g.d.Params
	static := o.First != 0 && (o.First < p.HeapStart || o.First >= p.HeapEnd)
	// A 32 KiB slot may hold a small object with a header or a large
	// one (up to 8 bytes bigger than a header allows) without: its first
	// word could be anything, and reading a type from it crashes the
	// process, so slots of headerMax bytes are left unnamed.
	if !o.HasPointers || o.Size <= headerMin || o.Size >= headerMax || !static {
		return ""
	}
	if !g.names.own {
		// Another process's memory: the executable's DWARF names the
		// header's type; else the dump names the types of its itabs, and
		// only those.
		if dw := g.names.dwarf(); dw != nil {
			if t := g.headerType(dw, i); t != nil {
				return goName(t)
			}
		}
		return g.dumpType(o.First, o.Size)
	}
	t := typeAt(o.First)
	if size := uint64(t.Size()); size > 0 && (o.Size-uint64(p.PtrSize))/size >= 2 {
		return "[]" + t.String()
	}
	return t.String()
}

// dumpType names the type whose descriptor is at addr, if the dump
// describes it well enough, for an object of size bytes: an array of the
// type when two or more fit, as with a malloc header. The dump writes an
// unnamed type by its package path and an empty name ("main." for
// *main.leaf): such a name names nothing.
func (g *graph) dumpType(addr, size uint64) string {
	if g.dumpTypes == nil {
		g.dumpTypes = make(map[uint64]heapdump.Type, len(g.d.Types))
		for _, t := range g.d.Types {
			g.dumpTypes[t.Addr] = t
		}
	}
	t, ok := g.dumpTypes[addr]
	if !ok || t.Name == "" || strings.HasSuffix(t.Name, ".") {
		return ""
	}
	if t.Size > 0 && (size-uint64(g.d.Params.PtrSize))/t.Size >= 2 {
		return "[]" + t.Name + " elements"
	}
	return t.Name
}
