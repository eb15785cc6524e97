// Command retainer holds an object in a global map and prints its
// retention path, for the test that reads a real symbol table: "go build"
// keeps one, "go test" and "go run" do not.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/weakscope/weakscope/inspect"
)

// entry has pointers and takes more than 512 bytes, so the heap records
// its type.
type entry struct {
	next *entry
	_    [80]uint64
}

var registry = map[string]*entry{}

//go:noinline
func register() uintptr {
	e := &entry{}
	registry["e"] = e
	return uintptr(unsafe.Pointer(e))
}

func main() {
	target := register()
	runtime.GC()
	paths, err := inspect.RetentionPaths(context.Background(), []uintptr{target})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(paths[0])
	fmt.Println(paths[0].Root.Name)
}
