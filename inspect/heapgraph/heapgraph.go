// Package heapgraph analyses a heap dump as a graph: which objects the
// roots reach, the dominator tree, and every object's retained size — the
// memory that would be freed if that object alone became unreachable, what
// Eclipse MAT and Chrome's heap snapshots lead with.
//
// An object d dominates an object x when every path from the roots to x
// passes through d; x's immediate dominator is the closest such d. The
// retained size of d is the size of every object it dominates, itself
// included. The dominators are computed with the semi-NCA algorithm (the
// semidominators of Lengauer and Tarjan, then nearest common ancestors in
// the depth-first tree), in near-linear time.
//
// The graph has one node per object of the dump and a virtual root whose
// edges are the pointers the dump's roots hold (heapdump.Dump.Roots).
// Objects no root reaches — garbage not yet collected, or kept only by
// what a dump does not record, such as cleanups — have no dominator and
// retain nothing; Unreached counts them.
package heapgraph

import (
	"cmp"
	"iter"
	"slices"

	"github.com/weakscope/weakscope/inspect/heapdump"
)

// Root is the virtual root's node number in a Graph: every object a root
// of the dump points to is its successor.
const Root = -1

// Graph is the pointer graph of a heap dump, in compressed sparse rows:
// four bytes per edge and a few words per object.
type Graph struct {
	d *heapdump.Dump
	// start[v+1]…start[v+2] index the successors of node v in succ, the
	// virtual root being v = -1; edges are object indices.
	start []int32
	succ  []int32
}

// New builds the graph of d: an edge for every pointer word of an object,
// and for every root pointer, to the object it points into. Pointers to
// addresses outside every object are dropped, and so are duplicates of an
// edge from the same object.
func New(d *heapdump.Dump) *Graph {
	n := len(d.Objects)
	g := &Graph{d: d, start: make([]int32, n+2)}
	seen := make([]int32, n) // the node that last added an edge to each object, plus 2
	add := func(from, to int) {
		if seen[to] != int32(from)+2 {
			seen[to] = int32(from) + 2
			g.succ = append(g.succ, int32(to))
		}
	}
	for r := range d.Roots() {
		if j, ok := d.Find(r.Addr); ok {
			add(Root, j)
		}
	}
	g.start[1] = int32(len(g.succ))
	for i := range n {
		for _, p := range d.Pointers(i) {
			if j, ok := d.Find(p.Value); ok && j != i {
				add(i, j)
			}
		}
		g.start[i+2] = int32(len(g.succ))
	}
	g.succ = slices.Clip(g.succ)
	return g
}

// Len is the number of objects (nodes other than the virtual root).
func (g *Graph) Len() int { return len(g.start) - 2 }

// Successors returns the objects that node v (an object index, or Root)
// points to. The slice is shared; do not modify it.
func (g *Graph) Successors(v int) []int32 {
	return g.succ[g.start[v+1]:g.start[v+2]]
}

// Dump is the dump the graph was built from.
func (g *Graph) Dump() *heapdump.Dump { return g.d }

// Dominators is the dominator tree of a Graph and the retained size of
// every object.
type Dominators struct {
	g        *Graph
	idom     []int32  // per object: its immediate dominator (an object, or Root), or unreached
	retained []uint64 // per object: the bytes it retains
	count    []int32  // per object: the objects it retains
	order    []int32  // the reached objects in depth-first preorder
	total    uint64   // bytes of the reached objects
}

const unreached = -2

// Dominators computes the dominator tree of g and every object's retained
// size.
func (g *Graph) Dominators() *Dominators {
	n := g.Len()
	// Nodes are numbered v+1 here, so that the virtual root is 0.
	pre := make([]int32, n+1) // preorder number + 1, or 0 for unreached
	order := make([]int32, 0, n+1)
	parent := make([]int32, n+1) // DFS tree parent, by preorder number

	// Iterative depth-first search from the root. The stack holds nodes
	// and the index of the next successor to look at.
	type frame struct{ node, next int32 }
	stack := []frame{{0, 0}}
	pre[0] = 1
	order = append(order, 0)
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		succ := g.Successors(int(top.node) - 1)
		if int(top.next) == len(succ) {
			stack = stack[:len(stack)-1]
			continue
		}
		w := succ[top.next] + 1
		top.next++
		if pre[w] == 0 {
			pre[w] = int32(len(order)) + 1
			parent[len(order)] = pre[top.node] - 1
			order = append(order, w)
			stack = append(stack, frame{w, 0})
		}
	}
	m := len(order) // reached nodes, root included

	// Predecessors of reached nodes, by preorder number, in compressed rows.
	predStart := make([]int32, m+1)
	for _, v := range order {
		for _, w := range g.Successors(int(v) - 1) {
			if p := pre[w+1]; p != 0 {
				predStart[p]++
			}
		}
	}
	for i := 1; i <= m; i++ {
		predStart[i] += predStart[i-1]
	}
	pred := make([]int32, predStart[m])
	fill := slices.Clone(predStart[:m])
	for _, v := range order {
		from := pre[v] - 1
		for _, w := range g.Successors(int(v) - 1) {
			if p := pre[w+1]; p != 0 {
				pred[fill[p-1]] = from
				fill[p-1]++
			}
		}
	}
	fill = nil

	// Semidominators, by preorder number, with the path-compressed forest
	// of Lengauer and Tarjan (ancestor and label).
	semi := make([]int32, m)
	label := make([]int32, m)
	ancestor := make([]int32, m)
	for i := range m {
		semi[i], label[i], ancestor[i] = int32(i), int32(i), -1
	}
	var pathBuf []int32
	eval := func(v int32) int32 {
		if ancestor[v] < 0 {
			return v
		}
		// Compress the path from v to the forest root, iteratively.
		path := pathBuf[:0]
		for u := v; ancestor[ancestor[u]] >= 0; u = ancestor[u] {
			path = append(path, u)
		}
		for i := len(path) - 1; i >= 0; i-- {
			u := path[i]
			a := ancestor[u]
			if semi[label[a]] < semi[label[u]] {
				label[u] = label[a]
			}
			ancestor[u] = ancestor[a]
		}
		pathBuf = path
		return label[v]
	}
	for w := int32(m - 1); w >= 1; w-- {
		for _, v := range pred[predStart[w]:predStart[w+1]] {
			if u := eval(v); semi[u] < semi[w] {
				semi[w] = semi[u]
			}
		}
		ancestor[w] = parent[w]
	}
	pred, predStart, label, ancestor = nil, nil, nil, nil

	// Immediate dominators: the nearest ancestor of w's parent whose
	// preorder number is at most w's semidominator.
	idomPre := make([]int32, m)
	for w := 1; w < m; w++ {
		d := parent[w]
		for d > semi[w] {
			d = idomPre[d]
		}
		idomPre[w] = d
	}

	dm := &Dominators{g: g, idom: make([]int32, n), retained: make([]uint64, n), count: make([]int32, n), order: make([]int32, 0, m-1)}
	for i := range dm.idom {
		dm.idom[i] = unreached
	}
	for w := 1; w < m; w++ {
		obj := order[w] - 1
		dm.idom[obj] = order[idomPre[w]] - 1
		dm.order = append(dm.order, obj)
	}
	// Retained sizes: children before parents, in reverse preorder (a
	// dominator precedes what it dominates in preorder).
	for w := m - 1; w >= 1; w-- {
		obj := order[w] - 1
		dm.retained[obj] += g.d.Objects[obj].Size
		dm.count[obj]++
		if p := dm.idom[obj]; p >= 0 {
			dm.retained[p] += dm.retained[obj]
			dm.count[p] += dm.count[obj]
		} else {
			dm.total += dm.retained[obj]
		}
	}
	return dm
}

// IDom returns the immediate dominator of object i: another object, or
// Root when only the virtual root dominates it; ok is false when no root
// reaches i.
func (d *Dominators) IDom(i int) (dom int, ok bool) {
	v := d.idom[i]
	return int(v), v != unreached
}

// Retained is the number of bytes object i retains: its own size and that
// of every object it dominates. It is 0 for an object no root reaches.
func (d *Dominators) Retained(i int) uint64 { return d.retained[i] }

// RetainedObjects is the number of objects object i retains, itself
// included; 0 for an object no root reaches.
func (d *Dominators) RetainedObjects(i int) int { return int(d.count[i]) }

// Preorder yields the objects a root reaches, each after its immediate
// dominator (in the depth-first preorder of the graph, which every
// dominator precedes what it dominates in).
func (d *Dominators) Preorder() iter.Seq[int] {
	return func(yield func(int) bool) {
		for _, v := range d.order {
			if !yield(int(v)) {
				return
			}
		}
	}
}

// Reached is the number of objects a root reaches, and their bytes.
func (d *Dominators) Reached() (objects int, bytes uint64) { return len(d.order), d.total }

// Unreached is the number of objects no root of the dump reaches, and
// their bytes: garbage the last cycle did not collect yet, and objects
// kept only by roots a dump does not record (cleanups, weak handles).
func (d *Dominators) Unreached() (objects int, bytes uint64) {
	var total uint64
	for _, o := range d.g.d.Objects {
		total += o.Size
	}
	return d.g.Len() - len(d.order), total - d.total
}

// Top returns up to n objects with the largest retained sizes, largest
// first, leaving out any object that another listed object dominates (its
// bytes are already in that one's): what to look at first. Ties go to the
// lower index (address).
func (d *Dominators) Top(n int) []int {
	if n <= 0 {
		return nil
	}
	cand := slices.Clone(d.order)
	slices.SortFunc(cand, func(a, b int32) int {
		if c := cmp.Compare(d.retained[b], d.retained[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	in, out := d.intervals()
	var top []int
	for _, c := range cand {
		if len(top) == n {
			break
		}
		dominated := false
		for _, t := range top {
			if in[t] < in[c] && out[c] <= out[t] {
				dominated = true
				break
			}
		}
		if !dominated {
			top = append(top, int(c))
		}
	}
	return top
}

// intervals numbers the dominator tree in preorder: object x is dominated
// by object a exactly when in[a] < in[x] and out[x] <= out[a].
func (d *Dominators) intervals() (in, out []int32) {
	n := len(d.idom)
	// Children of every object (and of the root, at n), in compressed rows.
	start := make([]int32, n+2)
	for _, x := range d.order {
		start[d.parentSlot(x)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	kids := make([]int32, len(d.order))
	fill := slices.Clone(start)
	for _, x := range d.order {
		p := d.parentSlot(x)
		kids[fill[p]] = x
		fill[p]++
	}
	in, out = make([]int32, n), make([]int32, n)
	clock := int32(0)
	type frame struct{ node, next int32 }
	stack := []frame{{int32(n), start[n]}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == start[top.node+1] {
			if top.node < int32(n) {
				out[top.node] = clock
			}
			stack = stack[:len(stack)-1]
			continue
		}
		c := kids[top.next]
		top.next++
		clock++
		in[c] = clock
		stack = append(stack, frame{c, start[c]})
	}
	return in, out
}

// parentSlot is x's immediate dominator, with the virtual root as len(idom).
func (d *Dominators) parentSlot(x int32) int32 {
	if p := d.idom[x]; p >= 0 {
		return p
	}
	return int32(len(d.idom))
}
