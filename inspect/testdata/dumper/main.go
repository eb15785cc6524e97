// Command dumper builds a heap of a known shape and writes a heap dump of
// itself to the file named by its argument, for the tests that analyse
// another program's dump: a global map of sessions that retains a
// megabyte, and a smaller list held by main's stack. With a second
// argument N it also builds a tree of N more objects under a global, for
// measuring the analysis of a large dump (scripts/heapbench.sh).
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"unsafe"
)

type session struct {
	id   int
	user *user
	data []byte
}

type user struct{ name string }

// Name makes *user a namer, so that an interface can hold one.
func (u *user) Name() string { return u.name }

type namer interface{ Name() string }

// box holds a user in an interface field: the dump's itab names its type.
var box struct{ who namer }

// wrapper is pointer-shaped: an interface holds it in its data word.
type wrapper struct{ *user }

// wrapped holds a pointer-shaped value in an interface.
var wrapped namer

// anything holds users in empty interfaces: no itab names their type, the
// executable's type descriptors do.
var anything struct {
	v    any
	list []any
}

// sessions is the leak: a global map that is never cleaned.
var sessions = map[string]*session{}

// More shapes, each holding a user that the program prints the address of
// ("target NAME ADDR"), so that a test can ask for its path.
var (
	users   []*user    // a slice of pointers
	counter func() int // a closure that captured a user
	cache   sync.Map   // a sync.Map of users
	nested  outer      // nested struct fields
	// A value the compiler allocates statically: its words are in bss,
	// anonymous, and reg points to them.
	reg = &registry{m: map[string]*user{}}
)

type registry struct{ m map[string]*user }

type outer struct {
	name  string
	inner struct {
		id    int
		owner *user
	}
}

type node struct {
	next *node
	_    [6]uint64
}

// branch is a node of the large tree: two children and a little data.
type branch struct {
	left, right *branch
	leaf        *[4]uint64
}

// ring is a cycle of two with a finalizer on one: the finalizer keeps
// what its object points to, and the cycle leads back, so it never runs.
type ring struct {
	next *ring
	_    [4]uint64
}

func dropRing(*ring) {}

// forest holds the large tree.
var forest []*branch

// grow builds n objects as trees of branches with leaves, 64 to a tree.
func grow(n int) []*branch {
	var trees []*branch
	var build func(budget int) (*branch, int)
	build = func(budget int) (*branch, int) {
		if budget < 2 {
			return nil, 0
		}
		b := &branch{leaf: new([4]uint64)}
		used := 2
		l, u := build((budget - used) / 2)
		b.left, used = l, used+u
		r, u := build(budget - used)
		b.right, used = r, used+u
		return b, used
	}
	for n > 1 {
		t, used := build(min(n, 64))
		trees = append(trees, t)
		n -= max(used, 2)
	}
	return trees
}

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: dumper FILE [OBJECTS]")
		os.Exit(2)
	}
	if len(os.Args) == 3 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "dumper: OBJECTS must be a positive number")
			os.Exit(2)
		}
		forest = grow(n)
	}
	for i := range 1000 {
		sessions[fmt.Sprint("s", i)] = &session{id: i, user: &user{name: "u"}, data: make([]byte, 1024)}
	}
	var list *node
	for range 100 {
		list = &node{next: list}
	}
	for i := range 5 {
		users = append(users, &user{name: fmt.Sprint("user", i)})
	}
	captured := &user{name: "captured"}
	counter = func() int { return len(captured.name) }
	cached := &user{name: "cached"}
	cache.Store("k", cached)
	nested.inner.owner = &user{name: "nested"}
	box.who = &user{name: "boxed"}
	anything.v = &user{name: "any"}
	wrapped = wrapper{&user{name: "wrapped"}}
	anything.list = []any{1, "two", &session{id: 3, user: &user{name: "in a slice of any"}}}
	a, b := &ring{}, &ring{}
	a.next, b.next = b, a
	runtime.SetFinalizer(a, dropRing)
	fmt.Printf("target finalizer %#x\n", uintptr(unsafe.Pointer(a)))
	a, b = nil, nil
	registered := &user{name: "registered"}
	reg.m["r"] = registered
	fmt.Printf("target stack %#x\n", uintptr(unsafe.Pointer(list)))
	fmt.Printf("target slice %#x\n", uintptr(unsafe.Pointer(users[3])))
	fmt.Printf("target closure %#x\n", uintptr(unsafe.Pointer(captured)))
	fmt.Printf("target syncmap %#x\n", uintptr(unsafe.Pointer(cached)))
	fmt.Printf("target nested %#x\n", uintptr(unsafe.Pointer(nested.inner.owner)))
	fmt.Printf("target static %#x\n", uintptr(unsafe.Pointer(registered)))
	fmt.Printf("target iface %#x\n", uintptr(unsafe.Pointer(box.who.(*user))))
	fmt.Printf("target wrapped %#x\n", uintptr(unsafe.Pointer(wrapped.(wrapper).user)))
	fmt.Printf("target any %#x\n", uintptr(unsafe.Pointer(anything.v.(*user))))
	fmt.Printf("target anyslice %#x\n", uintptr(unsafe.Pointer(anything.list[2].(*session).user)))
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
