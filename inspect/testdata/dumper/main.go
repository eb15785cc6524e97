// Command dumper builds a heap of a known shape and writes a heap dump of
// itself to the file named by its argument, for the tests that analyse
// another program's dump: a global map of sessions that retains a
// megabyte, and a smaller list held by main's stack.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

type session struct {
	id   int
	user *user
	data []byte
}

type user struct{ name string }

// sessions is the leak: a global map that is never cleaned.
var sessions = map[string]*session{}

type node struct {
	next *node
	_    [6]uint64
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dumper FILE")
		os.Exit(2)
	}
	for i := range 1000 {
		sessions[fmt.Sprint("s", i)] = &session{id: i, user: &user{name: "u"}, data: make([]byte, 1024)}
	}
	var list *node
	for range 100 {
		list = &node{next: list}
	}
	runtime.GC()
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	debug.WriteHeapDump(f.Fd())
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.KeepAlive(list)
}
