package heapgraph_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/weakscope/weakscope/inspect/heapdump"
	"github.com/weakscope/weakscope/inspect/heapgraph"
)

// randomDump builds a dump of n objects with random sizes and about
// n*degree random pointers between them, and a few roots.
func randomDump(t testing.TB, rng *rand.Rand, n int, degree float64, roots int) *heapdump.Dump {
	t.Helper()
	objects := make([]heapdump.Object, n)
	addr := uint64(0x1000)
	for i := range objects {
		size := uint64(16 * (1 + rng.IntN(8)))
		objects[i] = heapdump.Object{Addr: addr, Size: size}
		addr += size
	}
	pointers := make([][]heapdump.Pointer, n)
	for range int(float64(n) * degree) {
		from, to := rng.IntN(n), rng.IntN(n)
		off := uint64(rng.IntN(int(objects[from].Size)/8)) * 8
		// A pointer into the middle of its target finds it too.
		pointers[from] = append(pointers[from], heapdump.Pointer{Offset: off, Value: objects[to].Addr + uint64(rng.IntN(int(objects[to].Size)))})
	}
	d, err := heapdump.NewDump(heapdump.Params{PtrSize: 8, HeapStart: 0x1000, HeapEnd: addr}, objects, pointers)
	if err != nil {
		t.Fatal(err)
	}
	seg := heapdump.Segment{Name: "data", Addr: 0x10, Size: 8 * uint64(roots)}
	for i := range roots {
		seg.Pointers = append(seg.Pointers, heapdump.Pointer{Offset: uint64(8 * i), Value: objects[rng.IntN(n)].Addr})
	}
	// A pointer out of every object: no edge.
	seg.Pointers = append(seg.Pointers, heapdump.Pointer{Offset: 0, Value: addr + 4096})
	d.Segments = []heapdump.Segment{seg}
	return d
}

// reachable marks what the roots reach when object skip is removed
// (skip < 0: nothing removed).
func reachable(g *heapgraph.Graph, skip int) []bool {
	seen := make([]bool, g.Len())
	var stack []int32
	push := func(w int32) {
		if int(w) != skip && !seen[w] {
			seen[w] = true
			stack = append(stack, w)
		}
	}
	for _, w := range g.Successors(heapgraph.Root) {
		push(w)
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range g.Successors(int(v)) {
			push(w)
		}
	}
	return seen
}

// Dominators and retained sizes agree with the definition on random
// graphs: x is dominated by a exactly when removing a makes x unreachable,
// and a's retained size is the bytes of what becomes unreachable.
func TestDominatorsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		d := randomDump(t, rng, n, rng.Float64()*2.5, 1+rng.IntN(3))
		g := heapgraph.New(d)
		dm := g.Dominators()
		all := reachable(g, -1)
		// dominated[a][x]: removing a cuts x off.
		dominated := make([][]bool, n)
		for a := range n {
			if !all[a] {
				continue
			}
			without := reachable(g, a)
			dominated[a] = make([]bool, n)
			var lost uint64
			lostObjects := 0
			for x := range n {
				if all[x] && (x == a || !without[x]) {
					dominated[a][x] = true
					lost += d.Objects[x].Size
					lostObjects++
				}
			}
			if got := dm.Retained(a); got != lost {
				t.Fatalf("trial %d: object %d retains %d bytes, want %d", trial, a, got, lost)
			}
			if got := dm.RetainedObjects(a); got != lostObjects {
				t.Fatalf("trial %d: object %d retains %d objects, want %d", trial, a, got, lostObjects)
			}
		}
		for x := range n {
			idom, ok := dm.IDom(x)
			if ok != all[x] {
				t.Fatalf("trial %d: object %d reached %v, IDom ok %v", trial, x, all[x], ok)
			}
			if !ok {
				if dm.Retained(x) != 0 {
					t.Fatalf("trial %d: unreached object %d retains %d", trial, x, dm.Retained(x))
				}
				continue
			}
			// The immediate dominator is the dominator that every other
			// strict dominator dominates.
			var strict []int
			for a := range n {
				if a != x && dominated[a] != nil && dominated[a][x] {
					strict = append(strict, a)
				}
			}
			want := heapgraph.Root
			for _, a := range strict {
				closest := true
				for _, b := range strict {
					if b != a && !dominated[b][a] {
						closest = false
					}
				}
				if closest {
					want = a
				}
			}
			if idom != want {
				t.Fatalf("trial %d: object %d has immediate dominator %d, want %d (strict dominators %v)", trial, x, idom, want, strict)
			}
		}
		objs, bytes := dm.Reached()
		uobjs, ubytes := dm.Unreached()
		var total uint64
		for _, o := range d.Objects {
			total += o.Size
		}
		if objs+uobjs != n || bytes+ubytes != total {
			t.Fatalf("trial %d: reached %d+%d of %d objects, %d+%d of %d bytes", trial, objs, uobjs, n, bytes, ubytes, total)
		}
		// Top lists the largest, none dominated by another listed one.
		top := dm.Top(5)
		for i, a := range top {
			if i > 0 && dm.Retained(top[i-1]) < dm.Retained(a) {
				t.Fatalf("trial %d: Top not by retained size: %v", trial, top)
			}
			for _, b := range top {
				if a != b && dominated[b][a] {
					t.Fatalf("trial %d: Top lists %d and %d, which dominates it", trial, a, b)
				}
			}
		}
	}
}

// A linked list a million long: the search and the compression are
// iterative, so depth costs no stack.
func TestDominatorsDeepChain(t *testing.T) {
	const n = 1_000_000
	objects := make([]heapdump.Object, n)
	pointers := make([][]heapdump.Pointer, n)
	for i := range objects {
		objects[i] = heapdump.Object{Addr: 0x1000 + 16*uint64(i), Size: 16}
		if i+1 < n {
			pointers[i] = []heapdump.Pointer{{Offset: 8, Value: 0x1000 + 16*uint64(i+1)}}
		}
	}
	d, err := heapdump.NewDump(heapdump.Params{PtrSize: 8}, objects, pointers)
	if err != nil {
		t.Fatal(err)
	}
	d.Segments = []heapdump.Segment{{Pointers: []heapdump.Pointer{{Value: 0x1000}}}}
	dm := heapgraph.New(d).Dominators()
	if got := dm.Retained(0); got != 16*n {
		t.Errorf("the head retains %d bytes, want %d", got, 16*n)
	}
	if idom, _ := dm.IDom(n - 1); idom != n-2 {
		t.Errorf("the tail's immediate dominator is %d, want %d", idom, n-2)
	}
	if top := dm.Top(3); !slices.Equal(top, []int{0}) {
		t.Errorf("Top(3) = %v, want only the head: it dominates the rest", top)
	}
}
