package inspect_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

// waitFor polls cond, forcing a GC cycle between polls, until it holds or
// the budget runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.GC()
		if _, err := inspect.Settle(context.Background(), inspect.WithMaxCycles(1)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOnCycleCallsAfterCycles(t *testing.T) {
	var calls atomic.Int64
	var lastCycle atomic.Uint64
	stop := inspect.OnCycle(func(c uint64) bool {
		calls.Add(1)
		lastCycle.Store(c)
		return true
	})
	start := inspect.Read().Cycle
	waitFor(t, "three calls", func() bool { return calls.Load() >= 3 })
	if c := lastCycle.Load(); c <= start {
		t.Errorf("f saw cycle %d, want > %d", c, start)
	}
	stop()
	// After stop, at most the call already under way may still happen.
	n := calls.Load()
	for range 5 {
		runtime.GC()
	}
	waitFor(t, "quiet", func() bool { return true })
	if got := calls.Load(); got > n+1 {
		t.Errorf("f called %d more times after stop", got-n)
	}
}

func TestOnCycleStopsWhenFReturnsFalse(t *testing.T) {
	var calls atomic.Int64
	inspect.OnCycle(func(uint64) bool { calls.Add(1); return false })
	waitFor(t, "the first call", func() bool { return calls.Load() >= 1 })
	for range 5 {
		runtime.GC()
	}
	waitFor(t, "quiet", func() bool { return true })
	if got := calls.Load(); got != 1 {
		t.Errorf("f called %d times, want 1: returning false must end the registration", got)
	}
}

// An OnCycle registration that holds only a weak pointer does not keep its
// object alive, and ends once the object is gone.
func TestOnCycleWeakOwner(t *testing.T) {
	var ended atomic.Bool
	owner := &node{}
	wp := weak.Make(owner)
	inspect.OnCycle(func(uint64) bool {
		if wp.Value() == nil {
			ended.Store(true)
			return false
		}
		return true
	})
	owner = nil
	_ = owner
	inspect.VerifyCollected(t, wp)
	waitFor(t, "the registration to end", ended.Load)
}
