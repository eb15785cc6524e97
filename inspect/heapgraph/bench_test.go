package heapgraph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/weakscope/weakscope/inspect/heapgraph"
)

// BenchmarkDominators builds the graph of a random heap of a million
// objects (1.5 pointers each) and computes its dominator tree, retained
// sizes and top 20: the whole analysis after the dump is read. It reports
// the bytes allocated per object.
//
//	go test -run '^$' -bench Dominators -benchtime 5x ./inspect/heapgraph
func BenchmarkDominators(b *testing.B) {
	const n = 1_000_000
	d := randomDump(b, rand.New(rand.NewPCG(1, 2)), n, 1.5, 100)
	b.ReportAllocs()
	var top []int
	for b.Loop() {
		dm := heapgraph.New(d).Dominators()
		top = dm.Top(20)
	}
	if len(top) == 0 {
		b.Fatal("no dominators")
	}
}
