package cache

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

// These tests reach into the containers to make deterministic what the
// collector otherwise decides: a cleanup that runs after its entry was
// replaced, a dead entry that no sweep has removed yet, and the
// collection of a container's internals.

// item has a pointer field, so it is never tiny-allocated.
type item struct {
	_  *item
	id int
	_  [2]uint64
}

// withoutSweeper leaves a Sweep container's dead entries in place until a
// lookup or a write finds them.
func withoutSweeper() Option {
	return optionFunc(func(c *config) { c.noSweeper = true })
}

// 4. A cleanup that runs after its entry was replaced, as happens when the
// old value died and its cleanup was queued before Put stopped it, leaves
// the new entry alone; only the entry it was registered for is removed.
func TestReapAfterReplaceKeepsNewEntry(t *testing.T) {
	w := NewWeakValues[string, item]()
	v1, v2 := &item{id: 1}, &item{id: 2}
	w.Put("k", v1)
	stale := wvReapArg[string, item]{key: "k", wp: weak.Make(v1)}
	w.Put("k", v2)
	w.c.reap(stale)
	if got, ok := w.Get("k"); !ok || got != v2 {
		t.Fatalf("after a stale cleanup: Get = %p, %v; want %p", got, ok, v2)
	}
	w.Delete("k")
	w.Put("k", v2)
	w.c.reap(stale)
	if got, ok := w.Get("k"); !ok || got != v2 {
		t.Fatalf("after Delete, Put and a stale cleanup: Get = %p, %v; want %p", got, ok, v2)
	}

	// The cleanup registered for the current entry does remove it.
	w.c.reap(wvReapArg[string, item]{key: "k", wp: weak.Make(v2)})
	if w.Len() != 0 {
		t.Fatalf("the current entry's cleanup left Len = %d", w.Len())
	}
	if st := w.Stats(); st.Reclaimed != 1 {
		t.Errorf("Reclaimed = %d, want 1", st.Reclaimed)
	}
	runtime.KeepAlive(v1)
	runtime.KeepAlive(v2)
}

// 4 and 5. The removal a Get does after finding a dead value only happens
// if the entry still holds that value: a Put may have come in between.
func TestRemoveIfSame(t *testing.T) {
	w := NewWeakValues[string, item]()
	v1, v2 := &item{id: 1}, &item{id: 2}
	w.Put("k", v2)
	rm := func(k string, wp weak.Pointer[item]) bool { return w.c.removeIfSame(w.c.shardOf(k), k, wp) }
	if rm("k", weak.Make(v1)) {
		t.Fatal("removeIfSame removed an entry holding another value")
	}
	if rm("absent", weak.Make(v1)) {
		t.Fatal("removeIfSame removed an absent entry")
	}
	if !rm("k", weak.Make(v2)) || w.Len() != 0 {
		t.Fatal("removeIfSame kept the entry holding that very value")
	}
	runtime.KeepAlive(v1)
	runtime.KeepAlive(v2)
}

// 5. A Get that finds a dead entry reports a miss, counts it as stale and
// removes the entry.
func TestGetFindsDeadEntry(t *testing.T) {
	w := NewWeakValues[string, item](WithStrategy(Sweep), withoutSweeper(), WithStats())
	live := &item{id: 1}
	w.Put("live", live)
	wp := putDropped(w, "dead")
	if _, err := inspect.WaitCollected(context.Background(), wp); err != nil {
		t.Fatal(err)
	}
	if w.Len() != 2 {
		t.Fatalf("Len = %d before the lookup, want 2: nothing should have removed the dead entry yet", w.Len())
	}
	if v, ok := w.Get("dead"); ok || v != nil {
		t.Fatalf("Get on a dead entry = %p, %v", v, ok)
	}
	if w.Len() != 1 {
		t.Errorf("Len = %d after the lookup, want 1", w.Len())
	}
	want := Stats{Puts: 2, Misses: 1, StaleMisses: 1, Reclaimed: 1}
	if st := w.Stats(); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	runtime.KeepAlive(live)
}

// LoadOrStore on a dead entry replaces it.
func TestLoadOrStoreFindsDeadEntry(t *testing.T) {
	w := NewWeakValues[string, item](WithStrategy(Sweep), withoutSweeper(), WithStats())
	wp := putDropped(w, "k")
	if _, err := inspect.WaitCollected(context.Background(), wp); err != nil {
		t.Fatal(err)
	}
	v := &item{id: 2}
	if got, loaded := w.LoadOrStore("k", v); loaded || got != v {
		t.Fatalf("LoadOrStore on a dead entry = %p, %v; want %p, false", got, loaded, v)
	}
	if got, ok := w.Get("k"); !ok || got != v {
		t.Fatalf("Get = %p, %v; want %p", got, ok, v)
	}
	want := Stats{Puts: 2, Hits: 1, Misses: 1, StaleMisses: 1, Reclaimed: 1}
	if st := w.Stats(); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	runtime.KeepAlive(v)
}

// Under Sweep, writes remove dead entries a few at a time even when no
// per-cycle sweep runs, and the sweep removes whatever they missed.
//
// Each write scan starts at a random place, so which entries the writes find
// is a matter of chance: over the 4000 writes here each dead entry is
// examined about six times on average, and is missed by all of them with a
// probability near 0.2%. Requiring 150 of 200 leaves a margin no run will
// come near; the sweep is what guarantees the rest.
func TestWritesScanForDeadEntries(t *testing.T) {
	const dead, writes = 200, 4000
	w := NewWeakValues[int, item](WithStrategy(Sweep), withoutSweeper())
	var wps []weak.Pointer[item]
	for i := range dead {
		wps = append(wps, putDropped(w, i))
	}
	for _, wp := range wps {
		inspect.VerifyCollected(t, wp)
	}
	keep := make([]*item, writes)
	for i := range keep {
		keep[i] = &item{id: i}
		w.Put(dead+i, keep[i])
	}
	st := w.Stats()
	if st.Reclaimed < 150 || st.Reclaimed > dead {
		t.Errorf("writes reclaimed %d of %d dead entries, want at least 150", st.Reclaimed, dead)
	}
	if got, want := w.Len(), writes+dead-int(st.Reclaimed); got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
	w.c.sweepAll()
	if got := w.Len(); got != writes {
		t.Errorf("after a sweep Len = %d, want %d", got, writes)
	}
	if st := w.Stats(); st.Reclaimed != dead {
		t.Errorf("after a sweep Reclaimed = %d, want %d", st.Reclaimed, dead)
	}
	runtime.KeepAlive(keep)
}

//go:noinline
func putDropped[K comparable](w *WeakValues[K, item], k K) weak.Pointer[item] {
	v := &item{}
	w.Put(k, v)
	return weak.Make(v)
}

// 7. Dropping a WeakValues releases it, its internals and its keys, while
// its values are still alive.
func TestDroppedWeakValuesReleasesKeysAndInternals(t *testing.T) {
	for _, s := range []Strategy{Cleanup, Sweep} {
		t.Run(s.String(), func(t *testing.T) {
			vals := make([]*item, 50)
			for i := range vals {
				vals[i] = &item{id: i}
			}
			wc, core, keys := fillWeakValues(s, vals)
			ctx := context.Background()
			if _, err := inspect.WaitCollected(ctx, wc); err != nil {
				t.Fatalf("container: %v", err)
			}
			if _, err := inspect.WaitCollected(ctx, core); err != nil {
				t.Fatalf("internals: %v", err)
			}
			for i, k := range keys {
				if _, err := inspect.WaitCollected(ctx, k); err != nil {
					t.Fatalf("key %d: %v", i, err)
				}
			}
			for i, v := range vals {
				if v.id != i {
					t.Fatalf("value %d changed", i)
				}
			}
			runtime.KeepAlive(vals)
		})
	}
}

//go:noinline
func fillWeakValues(s Strategy, vals []*item) (weak.Pointer[WeakValues[*item, item]], weak.Pointer[wvCore[*item, item, struct{}]], []weak.Pointer[item]) {
	w := NewWeakValues[*item, item](WithStrategy(s))
	var keys []weak.Pointer[item]
	for _, v := range vals {
		k := &item{id: -v.id}
		w.Put(k, v)
		keys = append(keys, weak.Make(k))
	}
	return weak.Make(w), w.c.self, keys
}

// 7. Dropping a WeakKeys releases it, its internals and its values, while
// its keys are still alive; the same for a WeakSet and its internals.
func TestDroppedWeakKeysAndSetRelease(t *testing.T) {
	for _, s := range []Strategy{Cleanup, Sweep} {
		t.Run(s.String(), func(t *testing.T) {
			keys := make([]*item, 50)
			for i := range keys {
				keys[i] = &item{id: i}
			}
			ctx := context.Background()
			wc, core, vals := fillWeakKeys(s, keys)
			for name, err := range map[string]error{
				"WeakKeys":  wait(ctx, wc),
				"internals": wait(ctx, core),
			} {
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			for i, v := range vals {
				if _, err := inspect.WaitCollected(ctx, v); err != nil {
					t.Fatalf("value %d: %v", i, err)
				}
			}
			sc, score := fillWeakSet(s, keys)
			if err := wait(ctx, sc); err != nil {
				t.Fatalf("WeakSet: %v", err)
			}
			if err := wait(ctx, score); err != nil {
				t.Fatalf("WeakSet internals: %v", err)
			}
			runtime.KeepAlive(keys)
		})
	}
}

func wait[T any](ctx context.Context, p weak.Pointer[T]) error {
	_, err := inspect.WaitCollected(ctx, p)
	return err
}

//go:noinline
func fillWeakKeys(s Strategy, keys []*item) (weak.Pointer[WeakKeys[item, *item]], weak.Pointer[wkCore[item, *item]], []weak.Pointer[item]) {
	w := NewWeakKeys[item, *item](WithStrategy(s))
	var vals []weak.Pointer[item]
	for _, k := range keys {
		v := &item{id: k.id}
		w.Put(k, v)
		vals = append(vals, weak.Make(v))
	}
	return weak.Make(w), w.c.self, vals
}

//go:noinline
func fillWeakSet(s Strategy, elems []*item) (weak.Pointer[WeakSet[item]], weak.Pointer[wkCore[item, struct{}]]) {
	set := NewWeakSet[item](WithStrategy(s))
	for _, x := range elems {
		set.Add(x)
	}
	return weak.Make(set), set.c.self
}

// A sweep holds the container's internals while it runs, and every cycle
// starts another sweep; with cycles forced back to back and sweeps long
// enough to overlap them, the internals of a dropped Sweep container used
// to survive cycle after cycle. The container's own cleanup now stops the
// sweeper, so they go within a few cycles however the cycles come.
func TestDroppedSweepContainerDuringBackToBackCycles(t *testing.T) {
	const n = 100_000 // a sweep takes milliseconds
	vals := make([]*item, n)
	for i := range vals {
		vals[i] = &item{id: i}
	}
	wc, core := fillSweepValues(vals)
	ctx := context.Background()
	if _, err := inspect.WaitCollected(ctx, wc); err != nil {
		t.Fatalf("container: %v", err)
	}
	cycles, err := inspect.WaitCollected(ctx, core)
	if err != nil {
		t.Fatalf("internals: %v", err)
	}
	t.Logf("internals collected after %d more cycles", cycles)
	runtime.KeepAlive(vals)
}

//go:noinline
func fillSweepValues(vals []*item) (weak.Pointer[WeakValues[int, item]], weak.Pointer[wvCore[int, item, struct{}]]) {
	w := NewWeakValues[int, item](WithStrategy(Sweep))
	for i, v := range vals {
		w.Put(i, v)
	}
	// Let a few sweeps start, as they would over the container's life.
	if _, err := inspect.Settle(context.Background(), inspect.WithMaxCycles(3)); err != nil {
		panic(err)
	}
	return weak.Make(w), w.c.self
}

// A container of a zero-size type sweeps whatever strategy it was given.
func TestZeroSizeTypesSweep(t *testing.T) {
	if w := NewWeakValues[int, struct{}](WithStrategy(Cleanup)); !w.c.sweep {
		t.Error("WeakValues of a zero-size type registers cleanups")
	}
	if w := NewWeakKeys[struct{}, int](); !w.c.sweep {
		t.Error("WeakKeys of a zero-size type registers cleanups")
	}
	if s := NewWeakSet[[0]int](); !s.c.sweep {
		t.Error("WeakSet of a zero-size type registers cleanups")
	}
}

// fillHalfDead puts n items into put and returns the ones it keeps alive:
// every other one. The rest are unreachable once it returns.
func fillHalfDead(n int, put func(i int, v *item)) []*item {
	var keep []*item
	for i := range n {
		v := &item{id: i}
		put(i, v)
		if i%2 == 0 {
			keep = append(keep, v)
		}
	}
	return keep
}

// After a forced cycle, AwaitSweep leaves no dead entry behind under Sweep,
// with or without the per-cycle sweeper racing it, and without waiting for
// another cycle; a second call in the same cycle does not sweep again.
//
// Len is not asserted to equal the kept count: a sweep that checks an entry
// while the cycle is marking holds its value for a moment, and the runtime
// then keeps that value through the cycle. Such values die in the next one.
func TestAwaitSweep(t *testing.T) {
	const n = 20_000
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"sweeper", []Option{WithStrategy(Sweep)}},
		{"no sweeper", []Option{WithStrategy(Sweep), withoutSweeper()}},
	} {
		t.Run(tc.name+"/WeakValues", func(t *testing.T) {
			w := NewWeakValues[int, item](tc.opts...)
			keep := fillHalfDead(n, func(i int, v *item) { w.Put(i, v) })
			runtime.GC()
			w.AwaitSweep()
			if dead := countDead(&w.c.table); dead != 0 {
				t.Fatalf("%d dead entries right after AwaitSweep (Len %d)", dead, w.Len())
			}
			// A second call in the same cycle does not sweep again: a dead
			// entry planted now stays (unless a cycle ran meanwhile).
			cycle := inspect.Read().Cycle
			sh := w.c.shardOf(-1)
			sh.mu.Lock()
			sh.m[-1] = wvEntry[item, struct{}]{} // a zero weak pointer is dead
			sh.mu.Unlock()
			w.AwaitSweep()
			sh.mu.RLock()
			_, planted := sh.m[-1]
			sh.mu.RUnlock()
			if !planted && inspect.Read().Cycle == cycle {
				t.Errorf("a second AwaitSweep in the same cycle swept again")
			}
			runtime.KeepAlive(keep)
		})
		t.Run(tc.name+"/WeakKeys", func(t *testing.T) {
			w := NewWeakKeys[item, int](tc.opts...)
			keep := fillHalfDead(n, func(i int, v *item) { w.Put(v, i) })
			runtime.GC()
			w.AwaitSweep()
			if dead := countDead(&w.c.table); dead != 0 {
				t.Fatalf("%d dead entries right after AwaitSweep (Len %d)", dead, w.Len())
			}
			runtime.KeepAlive(keep)
		})
		t.Run(tc.name+"/WeakSet", func(t *testing.T) {
			s := NewWeakSet[item](tc.opts...)
			keep := fillHalfDead(n, func(_ int, v *item) { s.Add(v) })
			runtime.GC()
			s.AwaitSweep()
			if dead := countDead(&s.c.table); dead != 0 {
				t.Fatalf("%d dead entries right after AwaitSweep (Len %d)", dead, s.Len())
			}
			runtime.KeepAlive(keep)
		})
	}
}

// Under Cleanup, AwaitSweep neither sweeps nor waits: entries go as their
// cleanups run.
func TestAwaitSweepCleanupIsNoOp(t *testing.T) {
	w := NewWeakValues[int, item](WithStrategy(Cleanup))
	keep := fillHalfDead(1000, func(i int, v *item) { w.Put(i, v) })
	runtime.GC()
	w.AwaitSweep()
	if began := w.c.passes.began.Load(); began != 0 {
		t.Errorf("AwaitSweep ran a sweep pass under Cleanup (began at cycle %d)", began)
	}
	runtime.KeepAlive(keep)
}

// countDead counts t's dead entries, each shard under its lock.
func countDead[MK comparable, E entry[T], T any](t *table[MK, E, T]) int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for k, e := range s.m {
			if t.dead(k, e) {
				n++
			}
		}
		s.mu.RUnlock()
	}
	return n
}
