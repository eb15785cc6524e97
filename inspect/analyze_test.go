package inspect_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/inspect/heapdump"
)

// dumpOfDumper builds testdata/dumper, runs it, and returns its dump and
// executable.
func dumpOfDumper(t *testing.T, env ...string) (*heapdump.Dump, string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the program with")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "dumper")
	build := exec.Command(goTool, "build", "-o", exe, "./testdata/dumper")
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		if len(env) > 0 {
			t.Skipf("cannot build with %v (no such toolchain here?): %v\n%s", env, err, out)
		}
		t.Fatalf("building dumper: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "heap.dump")
	out, err := exec.Command(exe, file).CombinedOutput()
	if err != nil {
		t.Fatalf("dumper: %v\n%s", err, out)
	}
	lastTargets = map[string]uint64{}
	for _, line := range strings.Split(string(out), "\n") {
		var name string
		var addr uint64
		if _, err := fmt.Sscanf(line, "target %s %v", &name, &addr); err == nil {
			lastTargets[name] = addr
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := heapdump.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return d, exe
}

// lastTargets are the addresses of the objects dumper printed, by name.
var lastTargets map[string]uint64

// Another program's dump, analysed with its executable: the global map
// that retains a thousand sessions leads, named, with what it retains —
// for a program built by this Go and by go1.27.3, the other toolchain the
// project supports (fetched through the module proxy; skipped where it
// cannot be had).
func TestAnalyzeHeap(t *testing.T) {
	for _, toolchain := range []string{"", "go1.27.3"} {
		t.Run("go="+cmp.Or(toolchain, "local"), func(t *testing.T) {
			var env []string
			if toolchain != "" {
				env = []string{"GOTOOLCHAIN=" + toolchain}
			}
			analyzeDumper(t, env)
		})
	}
}

func analyzeDumper(t *testing.T, env []string) {
	d, exe := dumpOfDumper(t, env...)
	a, err := inspect.AnalyzeHeap(context.Background(), d, inspect.WithExecutable(exe), inspect.WithTop(5))
	if err != nil {
		t.Fatal(err)
	}
	if a.Objects != len(d.Objects) || a.ReachedObjects+a.UnreachedObjects != a.Objects || a.Bytes == 0 {
		t.Errorf("counts: %d objects (%d reached, %d not), %d bytes", a.Objects, a.ReachedObjects, a.UnreachedObjects, a.Bytes)
	}
	if len(a.Dominators) == 0 {
		t.Fatal("no dominators")
	}
	top := a.Dominators[0]
	// 1000 sessions of a 1 KiB body, a user and the session itself.
	if top.Retained < 1000*1024 || top.RetainedObjects < 3000 {
		t.Errorf("top dominator retains %d bytes in %d objects, want the sessions' megabyte", top.Retained, top.RetainedObjects)
	}
	if top.Path.Root.Name != "main.sessions" || !strings.Contains(top.Path.String(), "global main.sessions") {
		t.Errorf("top dominator's path %q, want it to start at global main.sessions", top.Path)
	}
	// With DWARF, objects too small to record their type are typed by
	// the way they are reached: the sessions and their bodies.
	classes := map[string]inspect.HeapClass{}
	for _, c := range a.Classes {
		classes[c.Name] = c
	}
	// The map's thousand and one in a slice of any.
	if c := classes["main.session"]; c.Objects != 1001 || !c.Typed {
		t.Errorf("class main.session: %+v, want the 1001 sessions", c)
	}
	// The list main holds in a local variable is typed from the
	// variable, node by node.
	if c := classes["main.node"]; c.Objects != 100 || !c.Typed {
		t.Errorf("class main.node: %+v, want the 100 nodes of main's list", c)
	}
	if c := classes["[]uint8 elements"]; c.Objects < 1000 || c.Bytes < 1000*1024 {
		t.Errorf("class []uint8 elements: %+v, want the sessions' bodies", c)
	}
	// Paths to the objects of a type, most retaining first.
	found := a.Find("main.session", 3)
	if len(found) != 3 {
		t.Fatalf("Find: %v", found)
	}
	if p := a.Path(found[0]); !strings.HasSuffix(p.String(), "].elem (26.6 KiB) → main.session (48 B)") {
		t.Errorf("path to a session: %v", p)
	}
	found = a.Find("[]uint8 elements", 3)
	if len(found) != 3 {
		t.Fatalf("Find: %v", found)
	}
	p := a.Path(found[0])
	if !p.Found || p.Root.Name != "main.sessions" {
		t.Errorf("path to a session body: %v", p)
	}
	// With the executable's DWARF, every step is named as Go code would:
	// the variable's type, the map's internals, the session's field.
	for _, want := range []string{
		"global main.sessions (map[string]*main.session, bss) → map[string]*main.session.dirPtr (48 B) → ",
		"noalg.map.group[string]*main.session elements[",
		"].slots[", "].elem (", "→ main.session.data (48 B) → []uint8 elements (1.0 KiB)",
	} {
		if !strings.Contains(p.String(), want) {
			t.Errorf("path to a session body lacks %q:\n%s", want, p)
		}
	}

	// Paths through other shapes, named from DWARF step by step.
	for name, want := range map[string]string{
		"slice":  "global main.users ([]*main.user, bss) → []*main.user elements[3] (64 B) → main.user (16 B)",
		"nested": "global main.nested.inner.owner (main.outer, bss) → main.user (16 B)",
		// A closure's captured variables, by name.
		"closure": "global main.counter (func() int, bss) → func main.main.func1.captured (16 B) → main.user (16 B)",
		// Through the hash-trie behind sync.Map, its atomic pointers
		// and its nodes, to the value in an any.
		"syncmap": "global main.cache.m.root.v (sync.Map, bss) → sync.indirect[interface {},interface {}].children[",
		// An interface's data word, typed by the itab before it.
		"iface": "global main.box.who.data (",
		// A frame's pointer, named after the variable that holds it
		// where the function's location lists say so.
		"stack": "stack main.main (goroutine 1, frame ",
		// A pointer-shaped value is the data word itself.
		"wrapped": "global main.wrapped.data (main.namer, bss) → main.user (16 B)",
		// An any's data word, typed by the type word before it.
		"any": "global main.anything.v.data (struct { main.v interface {}; main.list []interface {} }, bss) → main.user (16 B)",
		// A finalizer's object types what it points to.
		"finalizer": "finalizer special on object 0x",
		"anyslice":  "global main.anything.list (struct { main.v interface {}; main.list []interface {} }, bss) → []interface {} elements[2].data (48 B) → main.session.user (48 B) → main.user (16 B)",
		// A statically allocated value is named after the global that
		// points to it, and a map of one entry has no directory.
		"static": "global main.reg.m (*main.registry, bss, its statically allocated value) → map[string]*main.user.dirPtr (48 B) → noalg.map.group[string]*main.user.slots[0].elem (",
	} {
		addr, ok := lastTargets[name]
		if !ok {
			t.Fatalf("dumper printed no %s target", name)
		}
		got := a.Path(addr).String()
		if (name == "iface" || name == "syncmap") && !strings.HasSuffix(got, "→ main.user (16 B)") {
			t.Errorf("path to the %s target does not end at the dynamic type main.user: %s", name, got)
		}
		if name == "stack" && !strings.HasSuffix(got, ") list (*main.node) → main.node (64 B)") {
			t.Errorf("path to the stack target does not name the variable list: %s", got)
		}
		if name == "finalizer" && !strings.HasSuffix(got, ".next (main.ring; func main.dropRing) → main.ring.next (48 B) → main.ring (48 B)") {
			t.Errorf("path to the finalizer target: %s", got)
		}
		if name == "syncmap" && !strings.Contains(got, "].v (160 B) → sync.entry[interface {},interface {}].value.data (48 B) → ") {
			t.Errorf("path to the syncmap target does not name the trie's entry and its value: %s", got)
		}
		if !strings.HasPrefix(got, want) {
			t.Errorf("path to the %s target:\n got %s\nwant %s…", name, got, want)
		}
	}

	// Without the executable, the same dump: globals by segment offset.
	a, err = inspect.AnalyzeHeap(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Dominators[0].Path; p.Root.Kind != inspect.RootGlobal || strings.Contains(p.Root.Name, "main.sessions") {
		t.Errorf("without the executable, the root %+v should be a global named by its segment", p.Root)
	}
}

type bigEntry struct {
	_ *bigEntry
	_ [80]uint64
}

var analyzeRegistry []*bigEntry

// This process's own heap: named from the process, types included.
func TestAnalyzeThisProcess(t *testing.T) {
	for range 2000 {
		analyzeRegistry = append(analyzeRegistry, &bigEntry{})
	}
	defer func() { analyzeRegistry = nil }()
	inspect.NameGlobal("inspect_test.analyzeRegistry", &analyzeRegistry)
	a, err := inspect.AnalyzeThisProcess(context.Background(), inspect.WithTop(3))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, d := range a.Dominators {
		if d.Path.Root.Name == "inspect_test.analyzeRegistry" && d.Retained >= 2000*648 {
			found = true
		}
	}
	if !found {
		t.Errorf("the registry's slice is not among the top dominators: %+v", a.Dominators)
	}
	var typed bool
	for _, c := range a.Classes {
		if c.Typed && strings.Contains(c.Name, "bigEntry") && c.Objects >= 2000 {
			typed = true
		}
	}
	if !typed {
		t.Errorf("no class of 2000 bigEntry: %+v", a.Classes[:min(8, len(a.Classes))])
	}
}
