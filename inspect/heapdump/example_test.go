package heapdump_test

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/weakscope/weakscope/inspect/heapdump"
)

type list struct {
	next *list
	v    int
}

var head *list

func ExampleRead() {
	head = &list{next: &list{v: 2}, v: 1}
	runtime.GC() // a dump holds uncollected garbage too, in full

	f, err := os.CreateTemp("", "example-*.heapdump")
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	debug.WriteHeapDump(f.Fd())
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		panic(err)
	}
	d, err := heapdump.Read(f)
	if err != nil {
		panic(err)
	}

	i, ok := d.Find(uint64(uintptr(unsafe.Pointer(head))))
	fmt.Println("found:", ok, "size:", d.Objects[i].Size)
	for _, p := range d.Pointers(i) {
		fmt.Printf("pointer at +%d to the next element: %v\n", p.Offset, p.Value == uint64(uintptr(unsafe.Pointer(head.next))))
	}
	// Output:
	// found: true size: 16
	// pointer at +0 to the next element: true
}
