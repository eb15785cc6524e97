package heapgraph_test

import (
	"fmt"

	"github.com/weakscope/weakscope/inspect/heapdump"
	"github.com/weakscope/weakscope/inspect/heapgraph"
)

// A global points to a cache, which points to two entries; one entry is
// also reachable from a stack frame. The cache retains itself and the
// entry only it reaches.
func Example() {
	objects := []heapdump.Object{
		{Addr: 0x1000, Size: 64}, // the cache
		{Addr: 0x1040, Size: 32}, // entry A, the cache's alone
		{Addr: 0x1060, Size: 32}, // entry B, also on a stack
	}
	pointers := [][]heapdump.Pointer{
		{{Offset: 8, Value: 0x1040}, {Offset: 16, Value: 0x1060}},
	}
	d, err := heapdump.NewDump(heapdump.Params{PtrSize: 8}, objects, pointers)
	if err != nil {
		panic(err)
	}
	d.Segments = []heapdump.Segment{{Name: "bss", Pointers: []heapdump.Pointer{{Value: 0x1000}}}}
	d.Frames = []heapdump.Frame{{Func: "main.handle", Pointers: []heapdump.Pointer{{Value: 0x1060}}}}

	dm := heapgraph.New(d).Dominators()
	for _, i := range dm.Top(3) {
		idom, _ := dm.IDom(i)
		fmt.Printf("object %#x retains %d bytes (dominated by %d)\n", objects[i].Addr, dm.Retained(i), idom)
	}
	// Output:
	// object 0x1000 retains 96 bytes (dominated by -1)
	// object 0x1060 retains 32 bytes (dominated by -1)
}
