package inspect_test

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"unsafe"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

// This file's package path, as symbol names spell it.
const testPkg = "github.com/weakscope/weakscope/inspect_test"

// retained is the global that holds objects in the tests; registered
// under a name of its own, to tell it from the symbol table's.
var retained = map[string]*node{}

const registeredName = "registered.retained"

func init() { inspect.NameGlobal(registeredName, &retained) }

// hasSymbolTable reports whether the test binary has a symbol table:
// "go test" leaves it out unless run with -ldflags=-s=false.
var hasSymbolTable = sync.OnceValue(func() bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	f, err := elf.Open(exe)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Symbols()
	return err == nil
})

// retain puts a new node in retained under key and returns its address.
//
//go:noinline
func retain(key string) uintptr {
	n := newNode()
	retained[key] = n
	return uintptr(unsafe.Pointer(n))
}

// pathsOf collects first, then returns the retention paths of targets.
func pathsOf(t *testing.T, targets ...uintptr) []inspect.RetentionPath {
	t.Helper()
	runtime.GC()
	paths, err := inspect.RetentionPaths(context.Background(), targets, inspect.WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(targets) {
		t.Fatalf("%d paths for %d targets", len(paths), len(targets))
	}
	return paths
}

// checkEnds fails unless p is found and its last step holds target.
func checkEnds(t *testing.T, p inspect.RetentionPath, target uintptr) {
	t.Helper()
	t.Logf("path to %#x: %v", target, p)
	if !p.Found || len(p.Steps) == 0 {
		t.Fatalf("path to %#x not found: %v", target, p)
	}
	last := p.Steps[len(p.Steps)-1]
	if p.Target != target || target < last.Addr || uint64(target-last.Addr) >= last.Size || last.Offset != 0 {
		t.Errorf("path to %#x ends at %+v", target, last)
	}
	if p.Root.Name == "" {
		t.Errorf("root without a name: %+v", p.Root)
	}
}

func TestRetentionGlobal(t *testing.T) {
	target := retain("global")
	t.Cleanup(func() { delete(retained, "global") })
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)

	// The symbol table's name wins over the registered one.
	name, short := registeredName, registeredName
	if hasSymbolTable() {
		name, short = testPkg+".retained", "inspect_test.retained"
	}
	if p.Root.Kind != inspect.RootGlobal || p.Root.Name != name || p.Root.Offset != 0 ||
		p.Root.Detail != "bss" && p.Root.Detail != "data" {
		t.Errorf("root = %+v, want global %s (symbol table: %v)", p.Root, name, hasSymbolTable())
	}
	if want := "global " + short + " ("; !strings.HasPrefix(p.String(), want) {
		t.Errorf("path %q does not start with %q", p, want)
	}
	// A map holds its values two objects deep at least: the map and
	// its group.
	if len(p.Steps) < 2 {
		t.Errorf("path %v is too short for a map", p)
	}
	for _, s := range p.Steps[:len(p.Steps)-1] {
		if s.Size == 0 {
			t.Errorf("step %+v has no size", s)
		}
	}
}

// interior checks that an address inside an object stands for it.
func TestRetentionInterior(t *testing.T) {
	target := retain("interior")
	t.Cleanup(func() { delete(retained, "interior") })
	paths := pathsOf(t, target, target+8)
	checkEnds(t, paths[0], target)
	checkEnds(t, paths[1], target+8)
	if paths[0].String() != paths[1].String() {
		t.Errorf("paths to an object and to its inside differ:\n%v\n%v", paths[0], paths[1])
	}
}

func TestRetentionSymbolTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(build.Default.GOROOT, "bin", "go")
	}
	exe := filepath.Join(t.TempDir(), "retainer")
	cmd := exec.Command(goTool, "build", "-o", exe, "./testdata/retainer")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd = exec.Command(exe)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("retainer: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// The executable's DWARF gives the variable's type, which names the
	// map's header after it.
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "global main.registry (map[string]*main.entry, bss) → map[string]*main.entry.dirPtr (48 B) → ") || lines[1] != "main.registry" {
		t.Fatalf("retainer printed\n%s\nwant a path from global main.registry (map[string]*main.entry, bss) through the map's header", out)
	}
	// With a symbol table, the header of the 640-byte entry names it.
	if !strings.HasSuffix(lines[0], " → main.entry (704 B)") {
		t.Errorf("path %q does not end at main.entry (704 B)", lines[0])
	}
}

// holdOnStack keeps a node in a local variable while it waits, after
// passing it to with, if not nil.
//
//go:noinline
func holdOnStack(ready chan<- uintptr, done <-chan struct{}, with func(*node)) {
	n := newNode()
	if with != nil {
		with(n)
	}
	ready <- uintptr(unsafe.Pointer(n))
	<-done
	runtime.KeepAlive(n)
}

// parked starts holdOnStack and returns the address of its node; the
// goroutine ends with the test.
func parked(t *testing.T, with func(*node)) uintptr {
	ready, done, exited := make(chan uintptr), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		holdOnStack(ready, done, with)
	}()
	t.Cleanup(func() { close(done); <-exited })
	return <-ready
}

func TestRetentionStack(t *testing.T) {
	target := parked(t, nil)
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)
	if p.Root.Kind != inspect.RootStack || p.Root.Name != testPkg+".holdOnStack" ||
		!strings.HasPrefix(p.Root.Detail, "goroutine ") || len(p.Steps) != 1 {
		t.Errorf("path = %v (root %+v), want one step from the stack of holdOnStack", p, p.Root)
	}
	if want := "stack inspect_test.holdOnStack (goroutine "; !strings.HasPrefix(p.String(), want) {
		t.Errorf("path %q does not start with %q", p, want)
	}
}

// chainFrom makes a chain of k new nodes ending at end and returns its
// head.
func chainFrom(k int, end *node) *node {
	for range k {
		end = &node{next: end}
	}
	return end
}

var longChain, tie *node

func TestRetentionShortest(t *testing.T) {
	// The node holdOnStack holds is one step from its frame, and six
	// from a global: globals come first, but shorter wins.
	target := parked(t, func(n *node) { longChain = chainFrom(5, n) })
	t.Cleanup(func() { longChain = nil })
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)
	if p.Root.Kind != inspect.RootStack || len(p.Steps) != 1 {
		t.Errorf("path = %v, want the one step from the stack, not six from longChain", p)
	}
}

func TestRetentionTie(t *testing.T) {
	// Equally short, the global wins over the stack.
	target := parked(t, func(n *node) { tie = n })
	t.Cleanup(func() { tie = nil })
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)
	if p.Root.Kind != inspect.RootGlobal || len(p.Steps) != 1 ||
		!strings.HasSuffix(p.Root.Name, ".tie") && !strings.HasPrefix(p.Root.Name, "bss+") {
		t.Errorf("path = %v (root %+v), want the one step from global tie", p, p.Root)
	}
}

type cycleNode struct {
	other *cycleNode
	_     [2]uint64
}

func finalizeCycle(*cycleNode) {}

// finalizedCycle makes two nodes pointing to each other, the first with
// a finalizer, and returns their addresses and a weak pointer to the
// first.
//
//go:noinline
func finalizedCycle() (a, b uintptr, wa weak.Pointer[cycleNode]) {
	x, y := &cycleNode{}, &cycleNode{}
	x.other, y.other = y, x
	runtime.SetFinalizer(x, finalizeCycle)
	return uintptr(unsafe.Pointer(x)), uintptr(unsafe.Pointer(y)), weak.Make(x)
}

func TestRetentionFinalizerCycle(t *testing.T) {
	// A finalizer keeps what its object points to alive, so a cycle
	// through an object with a finalizer is never collected.
	a, b, wa := finalizedCycle()
	t.Cleanup(func() {
		if x := wa.Value(); x != nil {
			runtime.SetFinalizer(x, nil) // let the cycle go
		}
	})
	paths := pathsOf(t, a, b)
	pa, pb := paths[0], paths[1]
	checkEnds(t, pa, a)
	checkEnds(t, pb, b)
	want := inspect.Root{Kind: inspect.RootFinalizer, Name: testPkg + ".finalizeCycle", Detail: "on object " + hex(a)}
	if pa.Root != want || len(pa.Steps) != 2 || pa.Steps[0].Addr != b || pa.Steps[1].Addr != a {
		t.Errorf("path to a = %v (root %+v), want %+v → b → a", pa, pa.Root, want)
	}
	if pb.Root != want || len(pb.Steps) != 1 {
		t.Errorf("path to b = %v (root %+v), want %+v → b", pb, pb.Root, want)
	}
	prefix := "finalizer special on object " + hex(a) + " (func inspect_test.finalizeCycle) → object ("
	if !strings.HasPrefix(pa.String(), prefix) {
		t.Errorf("path %q does not start with %q", pa, prefix)
	}
}

func hex(p uintptr) string { return fmt.Sprintf("%#x", p) }

// escape moves what it is given to the heap.
var escape any

// dropped returns the address of an object of its own size class that no
// longer exists, next to one that does, so its slot is neither reused nor
// given back with its span.
//
//go:noinline
func dropped() uintptr {
	type big struct{ b [2800]byte }
	kept, gone := new(big), new(big)
	keptBig, escape = kept, gone
	escape = nil
	return uintptr(unsafe.Pointer(gone))
}

var keptBig any

// garbage returns the address of an object it dropped.
//
//go:noinline
func garbage() uintptr {
	type blob struct{ b [1000]byte }
	b := new(blob)
	escape = b
	escape = nil
	return uintptr(unsafe.Pointer(b))
}

func TestRetentionNotFound(t *testing.T) {
	t.Cleanup(func() { keptBig = nil })
	gone := dropped()
	p := pathsOf(t, gone)[0]
	if p.Found || p.Target != gone || len(p.Steps) != 0 || p.String() != "not found in the heap" {
		t.Errorf("path to a collected object = %v, %+v", p, p)
	}

	path, err := inspect.WhyAlive(droppedPointer())
	if err != nil || path.Found || path.String() != "not found in the heap" {
		t.Errorf("WhyAlive of a collected object = %v, %v", path, err)
	}

	// An object dropped after the last collection is still in the
	// heap, but nothing holds it. No automatic cycle may run before the
	// dump, or it would be gone instead.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	trash := garbage()
	paths, err := inspect.RetentionPaths(context.Background(), []uintptr{trash})
	if err != nil || paths[0].Found || paths[0].String() != "not retained" {
		t.Errorf("path to garbage = %v, %v; want not retained", paths[0], err)
	}
}

var cleanupAnchors []*node

func releaseNode(*node) {}

// cleanups adds two cleanups to anchors kept in a global: one whose
// closure captures a node, one whose argument is a node. It returns the
// two nodes' addresses.
//
//go:noinline
func cleanups() (captured, argument uintptr) {
	c, a := newNode(), newNode()
	anchor1, anchor2 := newNode(), newNode()
	cleanupAnchors = append(cleanupAnchors, anchor1, anchor2)
	runtime.AddCleanup(anchor1, func(int) { runtime.KeepAlive(c) }, 0)
	runtime.AddCleanup(anchor2, releaseNode, a)
	return uintptr(unsafe.Pointer(c)), uintptr(unsafe.Pointer(a))
}

func TestRetentionCleanup(t *testing.T) {
	captured, argument := cleanups()
	t.Cleanup(func() { cleanupAnchors = nil })
	paths := pathsOf(t, captured, argument)
	pc, pa := paths[0], paths[1]
	checkEnds(t, pc, captured)
	checkEnds(t, pa, argument)

	fn := testPkg + ".cleanups.func1"
	if pc.Root.Kind != inspect.RootCleanup || pc.Root.Name != fn || len(pc.Steps) != 2 || pc.Steps[0].Type != "func "+fn {
		t.Errorf("path to the captured node = %v (root %+v, steps %+v), want cleanup special (func %s) → its closure → node",
			pc, pc.Root, pc.Steps, fn)
	}
	if want := "cleanup special (func inspect_test.cleanups.func1) → func inspect_test.cleanups.func1+0x8 (16 B) → object ("; !strings.HasPrefix(pc.String(), want) {
		t.Errorf("path %q does not start with %q", pc, want)
	}
	if pa.Root.Kind != inspect.RootCleanup || pa.Root.Name != "unknown" || len(pa.Steps) != 2 || pa.Steps[0].Size != 8 {
		t.Errorf("path to the argument = %v (root %+v), want cleanup special → argument (8 B) → node", pa, pa.Root)
	}
	if want := "cleanup special (func unknown; inferred from its argument) → object (8 B) → object ("; !strings.HasPrefix(pa.String(), want) {
		t.Errorf("path %q does not start with %q", pa, want)
	}
}

// bigNode has pointers and takes more than 512 bytes, so the heap
// records its type.
type bigNode struct {
	p *node
	_ [70]uint64
}

var retainedAny []any

// retainTyped keeps a node in a bigNode captured by a closure in
// retainedAny, and returns the node's address.
//
//go:noinline
func retainTyped() uintptr {
	b := &bigNode{p: newNode()}
	retainedAny = []any{func() any { return b }}
	return uintptr(unsafe.Pointer(b.p))
}

func TestRetentionTypes(t *testing.T) {
	target := retainTyped()
	t.Cleanup(func() { retainedAny = nil })
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)
	var types []string
	for _, s := range p.Steps {
		types = append(types, s.Type)
	}
	// retainedAny → its array → the closure → bigNode → node
	if len(p.Steps) != 4 || types[1] != "func "+testPkg+".retainTyped.func1" || types[2] != "inspect_test.bigNode" || types[3] != "" {
		t.Errorf("types along %v = %q, want a closure and inspect_test.bigNode", p, types)
	}
}

func TestRetentionMaxDumpBytes(t *testing.T) {
	_, err := inspect.RetentionPaths(context.Background(), nil, inspect.WithMaxDumpBytes(1024))
	if !errors.Is(err, inspect.ErrDumpTooLarge) {
		t.Errorf("RetentionPaths with a 1 KiB limit = %v, want ErrDumpTooLarge", err)
	}
	// A limit of exactly the live heap passes the first check; the dump,
	// which adds the segments, stacks and records, is then too large. The
	// live heap only changes at the end of a cycle, hence the GC off.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	dir := t.TempDir()
	_, err = inspect.RetentionPaths(context.Background(), nil, inspect.WithMaxDumpBytes(int64(inspect.Read().HeapLiveBytes)), inspect.WithTempDir(dir))
	if !errors.Is(err, inspect.ErrDumpTooLarge) || strings.Contains(err.Error(), "live heap") {
		t.Errorf("RetentionPaths with the live heap as the limit = %v, want the dump's size refused", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a refused dump left %d files in its temp dir", len(left))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := inspect.RetentionPaths(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("RetentionPaths on a cancelled context = %v", err)
	}
	// The dump is removed afterwards.
	dir = t.TempDir()
	if _, err := inspect.RetentionPaths(context.Background(), nil, inspect.WithTempDir(dir)); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("RetentionPaths left %d files in its temp dir", len(left))
	}
}

//go:noinline
func retainedWeak(key string) weak.Pointer[node] { return weak.Make(retained[key]) }

func TestVerifyCollectedPath(t *testing.T) {
	retain("verify")
	t.Cleanup(func() { delete(retained, "verify") })
	var bad fakeT
	inspect.VerifyCollected(&bad, retainedWeak("verify"), inspect.WithMaxCycles(2))
	want := "global " + registeredName + " ("
	if hasSymbolTable() {
		want = "global inspect_test.retained ("
	}
	if len(bad.errors) != 1 || !strings.Contains(bad.errors[0], "still reachable after 2 GC cycles") ||
		!strings.Contains(bad.errors[0], "retention path:") || !strings.Contains(bad.errors[0], want) {
		t.Errorf("VerifyCollected reported %q, want one failure with the path from %q", bad.errors, want)
	}

	var ok fakeT
	inspect.VerifyCollected(&ok, droppedPointer())
	if len(ok.errors) != 0 {
		t.Errorf("VerifyCollected failed a collected object: %q", ok.errors)
	}
}

func TestShortNames(t *testing.T) {
	// Names are shortened to their package's last element, also inside
	// closures and methods, but not inside type arguments.
	p := inspect.RetentionPath{Found: true, Root: inspect.Root{Kind: inspect.RootStack, Name: "github.com/x/y.(*T).m.func1", Detail: "goroutine 1, frame 0"},
		Steps: []inspect.Step{{Size: 2048, Offset: 0x18, Type: "func example.com/a/b.F[...].func2"}, {Size: 3 << 20, Type: "b.T"}}}
	want := "stack y.(*T).m.func1 (goroutine 1, frame 0) → func b.F[...].func2+0x18 (2.0 KiB) → b.T (3.0 MiB)"
	if got := p.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := (inspect.RetentionPath{}).String(); got != "not found in the heap" {
		t.Errorf("zero path = %q", got)
	}
}

var chains []*node

// BenchmarkRetentionPaths dumps and searches a heap of about 50 MB of
// small objects in chains of 100.
func BenchmarkRetentionPaths(b *testing.B) {
	const chain = 100
	total := 50 << 20 / int(unsafe.Sizeof(node{}))
	chains = make([]*node, 0, total/chain)
	for range total / chain {
		chains = append(chains, chainFrom(chain, nil))
	}
	b.Cleanup(func() { chains = nil })
	var target uintptr
	for n := chains[len(chains)-1]; n != nil; n = n.next {
		target = uintptr(unsafe.Pointer(n))
	}
	runtime.GC()
	heap := float64(inspect.Read().HeapLiveBytes) / (1 << 20)
	dir := b.TempDir()
	for b.Loop() {
		paths, err := inspect.RetentionPaths(context.Background(), []uintptr{target}, inspect.WithTempDir(dir))
		if err != nil {
			b.Fatal(err)
		}
		if len(paths[0].Steps) != chain+1 {
			b.Fatalf("path = %v, want %d steps", paths[0], chain+1)
		}
	}
	b.ReportMetric(heap, "heap-MiB")
}

// bigNoHeader is 32 KiB exactly: too big for a malloc header (the limit
// is 8 bytes less), so the allocator makes it a large object whose first
// word is its own data, here the address of a string literal.
type bigNoHeader struct {
	s   string
	pad [4094]*int
}

var heldBig *bigNoHeader

func init() { inspect.NameGlobal("registered.heldBig", &heldBig) }

// A large object in a 32 KiB slot has no malloc header; reading a type from
// its first word would crash the process.
func TestRetentionLargeObjectWithoutHeader(t *testing.T) {
	if unsafe.Sizeof(bigNoHeader{}) != 32<<10 {
		t.Fatalf("bigNoHeader is %d bytes, want 32 KiB", unsafe.Sizeof(bigNoHeader{}))
	}
	heldBig = &bigNoHeader{s: "a string literal, outside the heap"}
	t.Cleanup(func() { heldBig = nil })
	target := uintptr(unsafe.Pointer(heldBig))
	p := pathsOf(t, target)[0]
	checkEnds(t, p, target)
	if last := p.Steps[len(p.Steps)-1]; last.Type != "" {
		t.Errorf("type %q read from an object without a header", last.Type)
	}
}
