package cache_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// Sweep containers run their sweeps on goroutines that inspect.OnCycle
// starts after GC cycles; every one of them must have ended by the time the
// tests are over.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// node has a pointer field, so the tiny allocator never batches it and its
// collection is observable.
type node struct {
	_  *node
	id int
	_  [2]uint64
}

func newNodes(n int) []*node {
	ns := make([]*node, n)
	for i := range ns {
		ns[i] = &node{id: i}
	}
	return ns
}

var strategies = []cache.Strategy{cache.Cleanup, cache.Sweep}

// forEachStrategy runs f as a subtest for each strategy.
func forEachStrategy(t *testing.T, f func(t *testing.T, s cache.Strategy)) {
	t.Helper()
	for _, s := range strategies {
		t.Run(s.String(), func(t *testing.T) { f(t, s) })
	}
}

// settleBudget bounds every wait on the collector in these tests. It is far
// above what a run needs, even under -race with GOMAXPROCS=1; reaching it
// means something is really retained.
const settleBudget = 30 * time.Second

// settleTo settles the heap with probe (a container's Len) and checks that
// probe reaches want.
//
// Under Cleanup one Settle must be enough: Settle waits for the cleanups
// that each of its cycles queued, and those remove the dead entries. Under
// Sweep the sweep runs on its own goroutine once a cycle has ended, so the
// probe may still lag when Settle returns; settleTo then keeps forcing
// cycles (each of which triggers another sweep) until the probe gets there,
// within settleBudget.
func settleTo(t testing.TB, s cache.Strategy, probe func() int, want int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(settleBudget)
	for {
		res, err := inspect.Settle(ctx, inspect.WithProbe(probe))
		if err != nil {
			t.Fatal(err)
		}
		got := probe()
		if got == want {
			return
		}
		if s == cache.Cleanup || time.Now().After(deadline) {
			t.Fatalf("after settling (%d cycles, settled %v, timed out %v): Len = %d, want %d",
				res.Cycles, res.Settled, res.TimedOut, got, want)
		}
	}
}

// collect runs an iterator to completion and returns what it yielded.
func collect[K comparable, V any](t testing.TB, seq func(func(K, V) bool)) map[K]V {
	t.Helper()
	got := map[K]V{}
	for k, v := range seq {
		if _, dup := got[k]; dup {
			t.Errorf("All yielded key %v twice", k)
		}
		got[k] = v
	}
	return got
}
