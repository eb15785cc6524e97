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

// 9. Add twice is one element, removing an absent element reports false,
// and an element that dies is no longer counted.
func TestWeakSet(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		set := cache.NewWeakSet[node](cache.WithStrategy(s), cache.WithStats())
		a, b, absent := &node{id: 1}, &node{id: 2}, &node{id: 3}
		set.Add(a)
		set.Add(a)
		set.Add(b)
		set.Add(nil)
		if set.Len() != 2 {
			t.Fatalf("Len = %d after adding a twice and b, want 2", set.Len())
		}
		if set.Remove(absent) || set.Remove(nil) {
			t.Error("Remove of an absent element reported true")
		}
		if !set.Contains(a) || !set.Contains(b) || set.Contains(absent) || set.Contains(nil) {
			t.Error("Contains is wrong")
		}

		b = nil
		_ = b
		settleTo(t, s, set.Len, 1)
		got := collectSet(t, set.All())
		if len(got) != 1 || !got[a] {
			t.Errorf("All = %v, want only a", got)
		}
		if !set.Remove(a) || set.Remove(a) || set.Len() != 0 {
			t.Errorf("Remove(a) twice: Len %d", set.Len())
		}
		st := set.Stats()
		if st.Puts != 3 || st.Hits != 2 || st.Misses != 2 || st.Reclaimed != 1 {
			t.Errorf("Stats = %+v, want 3 puts, 2 hits, 2 misses, 1 reclaimed", st)
		}
		runtime.KeepAlive(a)
	})
}

// 2 and 3 for sets: All yields live elements once, with the loop body
// adding and removing, and nothing once every element is gone.
func TestWeakSetAll(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const n = 40
		set := cache.NewWeakSet[node](cache.WithStrategy(s))
		elems := newNodes(2 * n)
		for _, x := range elems[:n] {
			set.Add(x)
		}
		seen := map[*node]bool{}
		for x := range set.All() {
			if x == nil || seen[x] || x.id >= n {
				t.Fatalf("All yielded %v (seen before: %v)", x, seen[x])
			}
			seen[x] = true
			set.Add(elems[n+x.id])
			set.Remove(elems[(x.id+1)%n])
		}
		clear(elems)
		clear(seen)
		settleTo(t, s, set.Len, 0)
		for x := range set.All() {
			t.Errorf("All yielded %p from an empty set", x)
		}
	})
}

func collectSet[T any](t *testing.T, seq func(func(*T) bool)) map[*T]bool {
	t.Helper()
	got := map[*T]bool{}
	for x := range seq {
		if got[x] {
			t.Errorf("All yielded %p twice", x)
		}
		got[x] = true
	}
	return got
}

// The strong holders keep what they hold alive: that is their point, and
// the contrast the weak ones are measured against.
func TestStrongKeepsValuesAlive(t *testing.T) {
	ctx := context.Background()
	m := cache.NewStrong[string, node]()
	wp := putStrong(m)
	_, err := inspect.WaitCollected(ctx, wp, inspect.WithMaxCycles(3))
	if !errors.Is(err, inspect.ErrStillReachable) {
		t.Fatalf("a value held by Strong: err = %v, want it still reachable", err)
	}
	if v, ok := m.Get("r"); !ok || v != wp.Value() {
		t.Fatalf("Get = %p, %v", v, ok)
	}
	if _, ok := m.Get("absent"); ok {
		t.Error("Get of an absent key found an entry")
	}
	got := collect(t, m.All())
	if len(got) != 1 || m.Len() != 1 {
		t.Errorf("All = %v, Len %d", got, m.Len())
	}
	for k := range m.All() {
		m.Put(k+"2", &node{}) // the body may write: no lock is held
	}
	m.Put("r2", nil)
	m.Delete("r")
	if m.Len() != 0 {
		t.Errorf("Len = %d after Put(nil) and Delete", m.Len())
	}
	if _, err := inspect.WaitCollected(ctx, wp); err != nil {
		t.Errorf("after Delete: %v", err)
	}
}

//go:noinline
func putStrong(m *cache.Strong[string, node]) weak.Pointer[node] {
	v := &node{id: 7}
	m.Put("r", v)
	return weak.Make(v)
}

func TestStrongSet(t *testing.T) {
	ctx := context.Background()
	set := cache.NewStrongSet[node]()
	wp := addStrong(set)
	set.Add(nil)
	_, err := inspect.WaitCollected(ctx, wp, inspect.WithMaxCycles(3))
	if !errors.Is(err, inspect.ErrStillReachable) {
		t.Fatalf("an element of a StrongSet: err = %v, want it still reachable", err)
	}
	x := wp.Value()
	set.Add(x)
	if set.Len() != 1 || !set.Contains(x) || set.Contains(&node{}) || set.Contains(nil) {
		t.Fatalf("Len %d, Contains %v", set.Len(), set.Contains(x))
	}
	for y := range set.All() {
		if y != x {
			t.Errorf("All yielded %p, want %p", y, x)
		}
		set.Remove(y)
	}
	if set.Remove(x) || set.Len() != 0 {
		t.Error("Remove of an absent element reported true")
	}
	x = nil
	_ = x
	if _, err := inspect.WaitCollected(ctx, wp); err != nil {
		t.Errorf("after Remove: %v", err)
	}
}

//go:noinline
func addStrong(set *cache.StrongSet[node]) weak.Pointer[node] {
	x := &node{id: 8}
	set.Add(x)
	set.Add(x)
	return weak.Make(x)
}

// Looking up an element makes no weak pointer: were it to, each object
// looked up for the first time would get a weak handle, a 16-byte
// allocation, and this would count 1,000 of them.
func TestWeakSetLookupsMakeNoWeakPointer(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		set := cache.NewWeakSet[node](cache.WithStrategy(s))
		member := &node{}
		set.Add(member)
		fresh := newNodes(1000)
		allocs := testing.AllocsPerRun(1, func() {
			for _, x := range fresh {
				if set.Contains(x) || set.Remove(x) {
					t.Fatal("a stranger was found")
				}
			}
			set.Add(member) // already there
			if !set.Contains(member) {
				t.Fatal("the member was not found")
			}
		})
		if allocs != 0 {
			t.Errorf("%v allocations for 2,000 lookups of fresh objects and a repeated Add, want 0", allocs)
		}
		runtime.KeepAlive(fresh)
	})
}
