package cache_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// 1. Get returns the identical pointer while its referent is reachable, GC
// cycles or not.
func TestWeakValuesGetIdentical(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[string, node](cache.WithStrategy(s), cache.WithStats())
		v := &node{id: 1}
		m.Put("a", v)
		settleTo(t, s, m.Len, 1)
		got, ok := m.Get("a")
		if !ok || got != v {
			t.Fatalf("Get = %p, %v; want the stored %p, true", got, ok, v)
		}
		if st := m.Stats(); st.Puts != 1 || st.Hits != 1 || st.Misses != 0 || st.Reclaimed != 0 {
			t.Errorf("Stats = %+v", st)
		}
		runtime.KeepAlive(v)
	})
}

// 2. Once the last outside reference is gone and the heap has settled, the
// entry is gone from every view: Get, Len, All and the counters.
func TestWeakValuesReleasesDroppedValues(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const n = 100
		m := cache.NewWeakValues[int, node](cache.WithStrategy(s))
		keep := newNodes(n)
		for i, v := range keep {
			m.Put(i, v)
		}
		// Drop every other value.
		for i := 0; i < n; i += 2 {
			keep[i] = nil
		}
		settleTo(t, s, m.Len, n/2)
		if st := m.Stats(); st.Reclaimed != n/2 {
			t.Errorf("Reclaimed = %d, want %d", st.Reclaimed, n/2)
		}
		for i := range n {
			v, ok := m.Get(i)
			if want := i%2 == 1; ok != want || (ok && v != keep[i]) {
				t.Errorf("Get(%d) = %p, %v; want %p, %v", i, v, ok, keep[i], want)
			}
		}
		if got := collect(t, m.All()); len(got) != n/2 {
			t.Errorf("All yielded %d entries, want %d", len(got), n/2)
		}

		// Now drop the rest.
		clear(keep)
		settleTo(t, s, m.Len, 0)
		for i := range n {
			if v, ok := m.Get(i); ok || v != nil {
				t.Errorf("Get(%d) = %p, %v after its value was collected", i, v, ok)
			}
		}
		for k, v := range m.All() {
			t.Errorf("All yielded %v, %p from an empty map", k, v)
		}
		// The entries were removed before the lookups, so none of
		// those found a dead entry.
		if st := m.Stats(); st.Reclaimed != n || st.StaleMisses != 0 {
			t.Errorf("Stats = %+v, want Reclaimed %d and no stale misses", st, n)
		}
	})
}

// 3. All yields each live entry once, never nil, while entries die under it
// and the loop body mutates the map, and stops when the body breaks.
func TestWeakValuesAllWhileEntriesDie(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const n, kept = 100, 50
		m := cache.NewWeakValues[int, node](cache.WithStrategy(s))
		keep := newNodes(n)
		for i, v := range keep {
			m.Put(i, v)
		}
		seen := map[int]int{}
		first := -1
		for k, v := range m.All() {
			if v == nil {
				t.Fatalf("All yielded a nil value for %d", k)
			}
			if v.id != k {
				t.Fatalf("All yielded %d with the value of %d", k, v.id)
			}
			seen[k]++
			if first >= 0 {
				continue
			}
			// On the first entry, drop the values of keys >= kept
			// (but the one being visited) and let them be collected
			// while the iteration is under way. Settling here also
			// proves no lock is held: cleanups need it.
			first = k
			for i := kept; i < n; i++ {
				if i != k {
					keep[i] = nil
				}
			}
			want := kept
			if k >= kept {
				want++
			}
			settleTo(t, s, m.Len, want)
		}
		for i := range kept {
			if seen[i] != 1 {
				t.Errorf("key %d (alive) yielded %d times, want once", i, seen[i])
			}
		}
		for i := kept; i < n; i++ {
			if i != first && seen[i] != 0 {
				t.Errorf("key %d yielded after its value was collected", i)
			}
		}
		runtime.KeepAlive(keep)
	})
}

func TestWeakValuesAllWithMutatingBody(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const n = 50
		m := cache.NewWeakValues[int, node](cache.WithStrategy(s))
		keep := newNodes(2 * n)
		for i := range n {
			m.Put(i, keep[i])
		}
		got := map[int]*node{}
		for k, v := range m.All() {
			if _, dup := got[k]; dup {
				t.Fatalf("key %d yielded twice", k)
			}
			got[k] = v
			m.Put(n+k, keep[n+k]) // new keys: not part of this iteration
			m.Delete((k + 1) % n) // may or may not have been visited yet
			m.Put(k, v)           // same value again
			_, _ = m.LoadOrStore(k, keep[n+k])
			_ = m.Len()
		}
		if len(got) == 0 || len(got) > n {
			t.Errorf("All yielded %d entries, want 1..%d", len(got), n)
		}
		for k, v := range got {
			if k >= n || v != keep[k] {
				t.Errorf("All yielded %d, %p; want only original keys with their values", k, v)
			}
		}

		// Breaking out early releases everything: the map is usable.
		count := 0
		for range m.All() {
			if count++; count == 3 {
				break
			}
		}
		m.Put(-1, keep[0])
		if v, ok := m.Get(-1); !ok || v != keep[0] {
			t.Errorf("Get after an early break = %p, %v", v, ok)
		}
		runtime.KeepAlive(keep)
	})
}

// 4. No ABA, end to end: a replaced value's death never removes its
// replacement, whether it was replaced by Put or by Delete then Put.
func TestWeakValuesReplacedValueDeathKeepsNewValue(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[string, node](cache.WithStrategy(s))
		v1, v2 := &node{id: 1}, &node{id: 2}
		w1, w2 := &node{id: 3}, &node{id: 4}
		m.Put("put", v1)
		m.Put("put", v2)
		m.Put("del", w1)
		m.Delete("del")
		m.Put("del", w2)
		v1, w1 = nil, nil
		_, _ = v1, w1
		settleTo(t, s, m.Len, 2)
		if got, ok := m.Get("put"); !ok || got != v2 {
			t.Errorf("after Put(v2) and v1's death: Get = %p, %v; want %p", got, ok, v2)
		}
		if got, ok := m.Get("del"); !ok || got != w2 {
			t.Errorf("after Delete, Put(w2) and w1's death: Get = %p, %v; want %p", got, ok, w2)
		}
		if st := m.Stats(); st.Reclaimed != 0 {
			t.Errorf("Reclaimed = %d, want 0: no live entry's value died", st.Reclaimed)
		}
		runtime.KeepAlive(v2)
		runtime.KeepAlive(w2)
	})
}

// Replacing or deleting an entry retires its cleanup without stopping it,
// since most replaced values die soon and their cleanup then does nothing;
// a retired cleanup whose value has lived through a whole GC cycle since is
// stopped at a later retirement once it has lived through two whole GC
// cycles since. So a value that outlives many entries collects at most
// about three cycles' worth of registrations, not one per replacement:
// when the values finally die, only those are left to run.
func TestWeakValuesReplacementsDoNotPileUpCleanups(t *testing.T) {
	const rounds, churns = 2000, 8
	m := cache.NewWeakValues[int, node]()
	a, b := &node{id: 1}, &node{id: 2}
	for range churns {
		for i := range rounds {
			if i%2 == 0 {
				m.Put(0, a)
			} else {
				m.Put(0, b)
			}
			m.Put(1, a)
			m.Delete(1)
		}
		runtime.GC()
	}
	before := inspect.Read().CleanupsQueued
	a, b = nil, nil
	_, _ = a, b
	settleTo(t, cache.Cleanup, m.Len, 0)
	// Each churn retires 2*rounds cleanups; unstopped, all 16*rounds of
	// them would run now. The last three churns' (6*rounds) may still be
	// pending; other tests' Sweep containers add a few sentinel cleanups
	// per cycle.
	got := inspect.Read().CleanupsQueued - before
	if limit := uint64(7 * rounds); got > limit {
		t.Errorf("%d cleanups ran after %d churns of %d replacements (limit %d): retired cleanups were not stopped", got, churns, 2*rounds, limit)
	}
	t.Logf("%d cleanups ran when the values died", got)
}

func TestWeakValuesLoadOrStore(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[string, node](cache.WithStrategy(s), cache.WithStats())
		a, b := &node{id: 1}, &node{id: 2}
		if got, loaded := m.LoadOrStore("k", a); loaded || got != a {
			t.Fatalf("first LoadOrStore = %p, %v; want %p, false", got, loaded, a)
		}
		if got, loaded := m.LoadOrStore("k", b); !loaded || got != a {
			t.Fatalf("second LoadOrStore = %p, %v; want %p, true", got, loaded, a)
		}
		if got, loaded := m.LoadOrStore("nil", nil); loaded || got != nil || m.Len() != 1 {
			t.Fatalf("LoadOrStore(nil) = %p, %v with Len %d; want nil, false, 1", got, loaded, m.Len())
		}

		// Once a is gone, the key is free for b.
		a = nil
		_ = a
		settleTo(t, s, m.Len, 0)
		if got, loaded := m.LoadOrStore("k", b); loaded || got != b {
			t.Fatalf("LoadOrStore after the value died = %p, %v; want %p, false", got, loaded, b)
		}
		st := m.Stats()
		if st.Puts != 2 || st.Hits != 1 || st.Misses != 3 {
			t.Errorf("Stats = %+v, want 2 puts, 1 hit, 3 misses", st)
		}
		runtime.KeepAlive(b)
	})
}

func TestWeakValuesPutNilDeletes(t *testing.T) {
	m := cache.NewWeakValues[int, node]()
	v := &node{}
	m.Put(1, v)
	m.Put(1, nil)
	if got, ok := m.Get(1); ok || got != nil || m.Len() != 0 {
		t.Errorf("after Put(1, nil): Get = %p, %v, Len %d; want nil, false, 0", got, ok, m.Len())
	}
	m.Delete(1) // absent: a no-op
	runtime.KeepAlive(v)
}

// A value held under several keys is one object with one weak handle; its
// death removes all of its entries.
func TestWeakValuesSameValueUnderSeveralKeys(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[int, node](cache.WithStrategy(s))
		v, other := &node{}, &node{}
		m.Put(1, v)
		m.Put(2, v)
		m.Put(3, other)
		v = nil
		_ = v
		settleTo(t, s, m.Len, 1)
		if got, ok := m.Get(3); !ok || got != other {
			t.Errorf("Get(3) = %p, %v", got, ok)
		}
		runtime.KeepAlive(other)
	})
}

// Strategy values print as the names reports use, and an unknown one is
// refused where it is made.
func TestStrategy(t *testing.T) {
	if cache.Cleanup.String() != "cleanup" || cache.Sweep.String() != "sweep" {
		t.Errorf("String: %q, %q", cache.Cleanup, cache.Sweep)
	}
	if got := cache.Strategy(9).String(); got != "Strategy(9)" {
		t.Errorf("unknown strategy prints as %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("WithStrategy(9) did not panic")
		}
	}()
	cache.WithStrategy(cache.Strategy(9))
}

func TestNilOptionIgnored(t *testing.T) {
	m := cache.NewWeakValues[int, node](nil, cache.WithStrategy(cache.Sweep), nil)
	v := &node{}
	m.Put(1, v)
	if got, ok := m.Get(1); !ok || got != v {
		t.Errorf("Get = %p, %v", got, ok)
	}
	_, _ = inspect.Settle(context.Background(), inspect.WithMaxCycles(1))
	runtime.KeepAlive(v)
}

// Lookups are counted only when asked for; puts and reclaimed entries
// always are.
func TestStatsWithoutWithStats(t *testing.T) {
	m := cache.NewWeakValues[int, node]()
	v := &node{}
	m.Put(1, v)
	m.Get(1)
	m.Get(2)
	if st := m.Stats(); st != (cache.Stats{Puts: 1}) {
		t.Errorf("Stats = %+v, want only Puts 1", st)
	}
	runtime.KeepAlive(v)
}
