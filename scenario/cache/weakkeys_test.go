package cache_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// meta is data attached to a node through a WeakKeys.
type meta struct {
	label string
	owner *node // set only to build the entry that keeps its key alive
}

func TestWeakKeysByIdentity(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakKeys[node, meta](cache.WithStrategy(s), cache.WithStats())
		a, b := &node{id: 1}, &node{id: 1} // equal, but two objects
		m.Put(a, meta{label: "a"})
		m.Put(b, meta{label: "b"})
		m.Put(a, meta{label: "a2"}) // replaces a's value
		m.Put(nil, meta{label: "nil"})
		if m.Len() != 2 {
			t.Fatalf("Len = %d, want 2", m.Len())
		}
		settleTo(t, s, m.Len, 2)
		if got, ok := m.Get(a); !ok || got.label != "a2" {
			t.Errorf("Get(a) = %+v, %v", got, ok)
		}
		if got, ok := m.Get(b); !ok || got.label != "b" {
			t.Errorf("Get(b) = %+v, %v", got, ok)
		}
		if _, ok := m.Get(nil); ok {
			t.Error("Get(nil) found an entry")
		}
		if _, ok := m.Get(&node{id: 1}); ok {
			t.Error("Get of an equal but different object found an entry")
		}
		got := collect(t, m.All())
		if len(got) != 2 || got[a].label != "a2" || got[b].label != "b" {
			t.Errorf("All = %v", got)
		}
		m.Delete(a)
		m.Delete(nil)
		if _, ok := m.Get(a); ok || m.Len() != 1 {
			t.Errorf("after Delete(a): Len %d", m.Len())
		}
		st := m.Stats()
		if st.Puts != 3 || st.Hits != 2 || st.Misses != 3 || st.StaleMisses != 0 {
			t.Errorf("Stats = %+v, want 3 puts, 2 hits, 3 misses", st)
		}
		runtime.KeepAlive(a)
		runtime.KeepAlive(b)
	})
}

// 2. An entry goes once its key is collected.
func TestWeakKeysReleasesDroppedKeys(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const n = 100
		m := cache.NewWeakKeys[node, *meta](cache.WithStrategy(s))
		keys := newNodes(n)
		var vals []weak.Pointer[meta]
		for _, k := range keys {
			v := &meta{label: "v"}
			m.Put(k, v)
			vals = append(vals, weak.Make(v))
		}
		for i := 0; i < n; i += 2 {
			keys[i] = nil
		}
		settleTo(t, s, m.Len, n/2)
		for i, k := range keys {
			if k == nil {
				continue
			}
			if v, ok := m.Get(k); !ok || v == nil {
				t.Errorf("Get(key %d) = %v, %v; want its value", i, v, ok)
			}
		}
		if got := collect(t, m.All()); len(got) != n/2 {
			t.Errorf("All yielded %d entries, want %d", len(got), n/2)
		}
		clear(keys)
		settleTo(t, s, m.Len, 0)
		for k, v := range m.All() {
			t.Errorf("All yielded %p, %v from an empty map", k, v)
		}
		// The values of collected keys are released with their entries.
		for i, v := range vals {
			if _, err := inspect.WaitCollected(context.Background(), v); err != nil {
				t.Fatalf("value %d: %v", i, err)
			}
		}
		if st := m.Stats(); st.Reclaimed != n {
			t.Errorf("Reclaimed = %d, want %d", st.Reclaimed, n)
		}
	})
}

// 3. All yields live keys once, never nil, with the loop body mutating.
func TestWeakKeysAllWithMutatingBody(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const n = 50
		m := cache.NewWeakKeys[node, int](cache.WithStrategy(s))
		keys := newNodes(2 * n)
		for i := range n {
			m.Put(keys[i], i)
		}
		seen := map[*node]bool{}
		for k, v := range m.All() {
			if k == nil {
				t.Fatal("All yielded a nil key")
			}
			if seen[k] {
				t.Fatalf("key %d yielded twice", k.id)
			}
			seen[k] = true
			if v != k.id {
				t.Errorf("key %d yielded with value %d", k.id, v)
			}
			m.Put(keys[n+k.id], n+k.id)
			m.Delete(keys[(k.id+1)%n])
			m.Put(k, v)
		}
		for k := range seen {
			if k.id >= n {
				t.Errorf("All yielded key %d, added during the loop", k.id)
			}
		}
		runtime.KeepAlive(keys)
	})
}

// 8. An entry whose value does not refer to its key goes when the key dies.
// An entry whose value refers back to its key is never released: the map
// holds the value strongly, the value holds the key, and Go has no
// ephemerons to break that chain. Only dropping the map releases it.
func TestWeakKeysValueReferringToKeyIsNeverReleased(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		ctx := context.Background()
		m := cache.NewWeakKeys[node, meta](cache.WithStrategy(s))
		plain, cyclic := putKeyPair(m)

		if _, err := inspect.WaitCollected(ctx, plain); err != nil {
			t.Fatalf("key of the plain entry: %v", err)
		}
		settleTo(t, s, m.Len, 1)

		_, err := inspect.WaitCollected(ctx, cyclic, inspect.WithMaxCycles(3))
		if !errors.Is(err, inspect.ErrStillReachable) {
			t.Fatalf("key whose value refers to it: err = %v, want it still reachable", err)
		}
		for k, v := range m.All() {
			if k != cyclic.Value() || v.owner != k {
				t.Errorf("the remaining entry is %p, %+v", k, v)
			}
		}

		m = nil
		_ = m
		if _, err := inspect.WaitCollected(ctx, cyclic); err != nil {
			t.Fatalf("after dropping the map: %v", err)
		}
	})
}

//go:noinline
func putKeyPair(m *cache.WeakKeys[node, meta]) (plain, cyclic weak.Pointer[node]) {
	a, b := &node{id: 1}, &node{id: 2}
	m.Put(a, meta{label: "plain"})
	m.Put(b, meta{label: "cyclic", owner: b})
	return weak.Make(a), weak.Make(b)
}
