package cache

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weakscope/weakscope/inspect"
)

// These tests cover the rebuild of a shard's map once its entries fall
// well below their peak: that it happens, that it gives the memory back,
// and that the containers' semantics hold across it, with writers, readers,
// iterators and cleanups racing it.

var bothStrategies = []Strategy{Cleanup, Sweep}

// settleLen forces GC cycles (each followed by a sweep under Sweep) until
// probe reports want, within a budget.
func settleLen(t *testing.T, probe func() int, await func(), want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := inspect.Settle(context.Background(), inspect.WithProbe(probe)); err != nil {
			t.Fatal(err)
		}
		await()
		if got := probe(); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("Len = %d after settling, want %d", got, want)
		}
	}
}

// rebuilds counts the shards' rebuilds so far.
func rebuilds[MK comparable, E entry[T], T any](t *table[MK, E, T]) (n uint64, peak int) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		n += s.gen
		peak = max(peak, s.peak)
		s.mu.RUnlock()
	}
	return n, peak
}

// After a mass release the table is rebuilt down to the few entries left,
// the heap it occupied is given back, and what is left works as before.
func TestShrinkAfterMassRelease(t *testing.T) {
	for _, s := range bothStrategies {
		t.Run(s.String(), func(t *testing.T) {
			const n, kept = 50_000, 100
			if _, err := inspect.Settle(context.Background()); err != nil {
				t.Fatal(err)
			}
			before := inspect.Read().HeapLiveBytes
			w := NewWeakValues[int, item](WithStrategy(s))
			keep := fillKeepFirst(w, n, kept)
			settleLen(t, w.Len, w.AwaitSweep, kept)
			gens, peak := rebuilds(&w.c.table)
			if gens == 0 || peak > 2*kept {
				t.Errorf("after the release: %d rebuilds, largest peak %d; want rebuilds down to about %d entries", gens, peak, kept)
			}
			// The old tables are freed by the next cycle after their
			// rebuild, which may have come after the last one.
			if _, err := inspect.Settle(context.Background()); err != nil {
				t.Fatal(err)
			}
			after := inspect.Read().HeapLiveBytes
			// Kept: 100 items and their entries, a few KiB. A table sized
			// for 50,000 entries is over a MiB.
			if grown := int64(after) - int64(before); grown > 256<<10 {
				t.Errorf("the heap grew by %d bytes over the container's life: its table was not given back", grown)
			}
			for i, v := range keep {
				if got, ok := w.Get(i); !ok || got != v {
					t.Fatalf("Get(%d) = %p, %v after the rebuild; want %p", i, got, ok, v)
				}
			}
			if got := len(collectAll(w)); got != kept {
				t.Errorf("All yielded %d entries, want %d", got, kept)
			}
			if st := w.Stats(); st.Reclaimed != n-kept {
				t.Errorf("Reclaimed = %d, want %d: a rebuild lost or double-counted entries", st.Reclaimed, n-kept)
			}
			// The rebuilt table takes new entries, also under the kept
			// keys, and lets them all go.
			fillKeepFirst(w, n, 0)
			settleLen(t, w.Len, w.AwaitSweep, 0)
			runtime.KeepAlive(keep)
		})
	}
}

// fillKeepFirst stores n fresh items under 0..n-1, replacing what was
// there, and returns the first kept of them; the rest are unreachable once
// it returns.
//
//go:noinline
func fillKeepFirst(w *WeakValues[int, item], n, kept int) []*item {
	keep := make([]*item, kept)
	for i := range n {
		v := &item{id: i}
		w.Put(i, v)
		if i < kept {
			keep[i] = v
		}
	}
	return keep
}

func collectAll[K comparable, V any](w *WeakValues[K, V]) map[K]*V {
	got := map[K]*V{}
	for k, v := range w.All() {
		got[k] = v
	}
	return got
}

// Writers, readers, iterators and deleters race the rebuilds that their
// own deletions trigger, and the cleanups and sweeps that remove dead
// entries race both. Every Get and All reports a value filed under its own
// key and alive; the race detector checks the locking; at the end every
// entry still held is there with its value, and nothing else is.
func TestShrinkRacesWritersReadersAndCleanups(t *testing.T) {
	for _, s := range bothStrategies {
		t.Run(s.String(), func(t *testing.T) {
			const workers, rounds, perRound = 4, 6, 2000
			w := NewWeakValues[int, item](WithStrategy(s))
			var done atomic.Bool
			gcs := make(chan struct{})
			go func() {
				defer close(gcs)
				for !done.Load() {
					runtime.GC()
					time.Sleep(time.Millisecond)
				}
			}()
			final := make([][]*item, workers)
			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					base := g * perRound
					var held []*item
					for r := range rounds {
						// Fill this worker's keys, keep some values,
						// drop the rest (cleanups remove them) and delete
						// most of the kept ones (rebuilds follow).
						held = held[:0]
						for i := range perRound {
							v := &item{id: base + i}
							w.Put(base+i, v)
							if i%10 == r%10 {
								held = append(held, v)
							}
						}
						for i, v := range held {
							if got, ok := w.Get(v.id); !ok || got != v {
								t.Errorf("Get(%d) = %p, %v; want the held %p", v.id, got, ok, v)
							}
							if i%4 != 0 {
								w.Delete(v.id)
							}
						}
						for k, v := range w.All() {
							if v == nil || v.id != k {
								t.Errorf("All yielded %d, %v", k, v)
							}
						}
					}
					// What this worker still holds and did not delete.
					for i, v := range held {
						if i%4 == 0 {
							final[g] = append(final[g], v)
						}
					}
				})
			}
			wg.Wait()
			done.Store(true)
			<-gcs
			want := 0
			for _, vs := range final {
				want += len(vs)
			}
			settleLen(t, w.Len, w.AwaitSweep, want)
			for _, vs := range final {
				for _, v := range vs {
					if got, ok := w.Get(v.id); !ok || got != v {
						t.Errorf("Get(%d) = %p, %v at the end; want %p", v.id, got, ok, v)
					}
				}
			}
			if gens, _ := rebuilds(&w.c.table); gens == 0 {
				t.Error("no rebuild happened: the test did not test them")
			}
			runtime.KeepAlive(final)
		})
	}
}

// An iteration that started before a rebuild yields every entry that was
// there when it started and is still alive, once, even while rebuilds and
// new entries come in between its steps.
func TestAllAcrossRebuilds(t *testing.T) {
	for _, s := range bothStrategies {
		t.Run(s.String(), func(t *testing.T) {
			const n = 4000
			w := NewWeakValues[int, item](WithStrategy(s))
			keep := make([]*item, n)
			for i := range keep {
				keep[i] = &item{id: i}
				w.Put(i, keep[i])
			}
			before, _ := rebuilds(&w.c.table)
			seen := map[int]int{}
			step := 0
			for k, v := range w.All() {
				if v != keep[k] {
					t.Fatalf("All yielded %d, %p; want %p", k, v, keep[k])
				}
				seen[k]++
				if step++; step == 1 {
					// Delete all but the first 100 keys: every shard falls
					// below a quarter of its peak and is rebuilt. Then put
					// new keys, which this iteration must not yield.
					for i := 100; i < n; i++ {
						if i != k {
							w.Delete(i)
						}
					}
					for i := n; i < 2*n; i++ {
						w.Put(i, keep[i-n])
					}
				}
			}
			if after, _ := rebuilds(&w.c.table); after == before {
				t.Fatal("no rebuild happened during the iteration")
			}
			for k, c := range seen {
				if c != 1 || k >= n {
					t.Errorf("key %d yielded %d times", k, c)
				}
			}
			for i := range 100 {
				if seen[i] != 1 {
					t.Errorf("key %d, never deleted, was not yielded", i)
				}
			}
			runtime.KeepAlive(keep)
		})
	}
}

// Sets and WeakKeys rebuild too, and find their elements by address after
// it.
func TestShrinkWeakSet(t *testing.T) {
	for _, s := range bothStrategies {
		t.Run(s.String(), func(t *testing.T) {
			const n, kept = 20_000, 50
			set := NewWeakSet[item](WithStrategy(s))
			keep := make([]*item, 0, kept)
			for i := range n {
				x := &item{id: i}
				set.Add(x)
				if i < kept {
					keep = append(keep, x)
				}
			}
			settleLen(t, set.Len, set.AwaitSweep, kept)
			if gens, _ := rebuilds(&set.c.table); gens == 0 {
				t.Error("the set was never rebuilt")
			}
			for _, x := range keep {
				if !set.Contains(x) {
					t.Fatalf("Contains(%d) = false after the rebuild", x.id)
				}
			}
			if !set.Remove(keep[0]) || set.Contains(keep[0]) || set.Len() != kept-1 {
				t.Errorf("Remove after the rebuild: Len %d", set.Len())
			}
			runtime.KeepAlive(keep)
		})
	}
}

// A WeakSet finds its elements by address; an entry left at an address by
// a dead object (its cleanup not run yet) is not the new object's, for
// Contains, Remove or Get, and Add replaces it. The dead object's cleanup,
// when it runs, leaves the new object's entry alone.
func TestWeakSetReusedAddress(t *testing.T) {
	for _, s := range bothStrategies {
		t.Run(s.String(), func(t *testing.T) {
			set := NewWeakSet[item](WithStrategy(s))
			x := &item{id: 1}
			// What a dead object at x's address left behind: an entry whose
			// weak pointer is not x's (here, one that leads nowhere).
			a := addr(x)
			sh := set.c.shardOf(a)
			sh.mu.Lock()
			sh.m[a] = wkEntry[item, struct{}]{}
			sh.mu.Unlock()
			if set.Contains(x) || set.Remove(x) {
				t.Fatal("a dead object's entry was taken for the live object at its address")
			}
			set.Add(x)
			if !set.Contains(x) || set.Len() != 1 {
				t.Fatalf("after Add: Contains %v, Len %d", set.Contains(x), set.Len())
			}
			if s == Cleanup {
				// The dead object's cleanup finds an entry that is not its own.
				set.c.reap(wkReapArg[item]{addr: a})
				if !set.Contains(x) {
					t.Fatal("the dead object's cleanup removed the new object's entry")
				}
			}
			if !set.Remove(x) || set.Contains(x) || set.Len() != 0 {
				t.Errorf("Remove: Len %d", set.Len())
			}
			runtime.KeepAlive(x)
		})
	}
}
