package inspect

import (
	"context"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/inspect/heapdump"
)

// An object that only a frame's non-pointer word reaches — what a stack
// object looks like in a dump that leaves it out — is found by the
// conservative scan when the target is known to be alive, marked so, and
// reported not retained otherwise.
func TestConservativeStackScan(t *testing.T) {
	objects := []heapdump.Object{{Addr: 0x1000, Size: 64}, {Addr: 0x1040, Size: 32}}
	pointers := [][]heapdump.Pointer{{{Offset: 8, Value: 0x1040}}}
	d, err := heapdump.NewDump(heapdump.Params{PtrSize: 8, HeapStart: 0x1000, HeapEnd: 0x2000}, objects, pointers)
	if err != nil {
		t.Fatal(err)
	}
	d.Frames = []heapdump.Frame{
		{Goroutine: 7, Depth: 2, Func: "main.loop", Words: []heapdump.Pointer{{Offset: 24, Value: 0x1000}}},
		// inspect's own frames hold the addresses asked about: never roots.
		{Goroutine: 1, Func: inspectPackage + "RetentionPaths", Words: []heapdump.Pointer{{Offset: 8, Value: 0x1040}}},
	}
	for _, alive := range []bool{false, true} {
		g := newGraph(d, noNames())
		g.conservative = alive
		if err := g.search(context.Background()); err != nil {
			t.Fatal(err)
		}
		p := g.path(0x1040)
		if !alive {
			if p.Found {
				t.Errorf("without the scan: %v, want not retained", p)
			}
			continue
		}
		if !p.Found || p.Root.Name != "main.loop" || !strings.Contains(p.String(), "stack main.loop (goroutine 7, frame 2; stack object, conservative) → object+0x8 (64 B) → object (32 B)") {
			t.Errorf("with the scan: %v", p)
		}
	}
}
