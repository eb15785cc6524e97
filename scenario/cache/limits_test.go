package cache_test

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// 10. Objects the runtime cannot track: the containers accept them without
// panicking, and they are never released (or, for tiny objects, may not
// be).

// globalNode is allocated by the linker, not on the heap.
var globalNode node

func TestGlobalsAreNeverReleased(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[int, node](cache.WithStrategy(s))
		keys := cache.NewWeakKeys[node, int](cache.WithStrategy(s))
		set := cache.NewWeakSet[node](cache.WithStrategy(s))
		m.Put(1, &globalNode)
		keys.Put(&globalNode, 1)
		set.Add(&globalNode)
		settleTo(t, s, m.Len, 1)
		if v, ok := m.Get(1); !ok || v != &globalNode {
			t.Errorf("WeakValues: Get = %p, %v", v, ok)
		}
		if _, ok := keys.Get(&globalNode); !ok || keys.Len() != 1 {
			t.Error("WeakKeys lost a global key")
		}
		if !set.Contains(&globalNode) || set.Len() != 1 {
			t.Error("WeakSet lost a global element")
		}
		m.Delete(1)
		keys.Delete(&globalNode)
		set.Remove(&globalNode)
	})
}

// Every pointer to a zero-size object may be the one address they all
// share; such entries are never released.
func TestZeroSizeObjects(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[int, struct{}](cache.WithStrategy(s))
		keys := cache.NewWeakKeys[struct{}, string](cache.WithStrategy(s))
		set := cache.NewWeakSet[[0]int](cache.WithStrategy(s))
		m.Put(1, new(struct{}))
		m.Put(2, &struct{}{})
		keys.Put(new(struct{}), "a")
		keys.Put(new(struct{}), "b")
		set.Add(new([0]int))
		set.Add(new([0]int))
		if n := keys.Len(); n < 1 || n > 2 {
			t.Errorf("WeakKeys of two zero-size keys: Len %d", n)
		}
		if n := set.Len(); n < 1 || n > 2 {
			t.Errorf("WeakSet of two zero-size elements: Len %d", n)
		}
		nk, ns := keys.Len(), set.Len()
		settleTo(t, cache.Sweep, m.Len, 2)
		for _, k := range []int{1, 2} {
			if v, ok := m.Get(k); !ok || v == nil {
				t.Errorf("WeakValues: Get(%d) = %p, %v; zero-size values are never released", k, v, ok)
			}
		}
		if keys.Len() != nk || set.Len() != ns {
			t.Errorf("zero-size keys or elements were released: Len %d/%d, %d/%d", keys.Len(), nk, set.Len(), ns)
		}
		for k, v := range keys.All() {
			if k == nil || v == "" {
				t.Errorf("All yielded %p, %q", k, v)
			}
		}
	})
}

// withTail ends in a zero-size field; the compiler pads the struct so that
// a pointer to that field stays inside the object.
type withTail struct {
	_     *withTail
	count int
	tail  struct{}
}

// Pointers into the middle of an object are tracked with the object: the
// entry goes when the object does.
func TestInteriorPointers(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[int, int](cache.WithStrategy(s))
		set := cache.NewWeakSet[int](cache.WithStrategy(s))
		zero := cache.NewWeakValues[int, struct{}](cache.WithStrategy(s))
		keep := &withTail{count: 1}
		fillInterior(m, set, zero, keep)
		m.Put(0, &keep.count)
		set.Add(&keep.count)
		zero.Put(0, &keep.tail)
		if v, ok := m.Get(0); !ok || v != &keep.count {
			t.Fatalf("Get of an interior pointer = %p, %v", v, ok)
		}
		settleTo(t, s, m.Len, 1)
		settleTo(t, s, set.Len, 1)
		// A zero-size type makes the container sweep, whatever s is.
		settleTo(t, cache.Sweep, zero.Len, 1)
		if !set.Contains(&keep.count) {
			t.Error("WeakSet lost a live interior pointer")
		}
		if v, ok := zero.Get(0); !ok || v != &keep.tail {
			t.Errorf("Get of a live zero-size interior pointer = %p, %v", v, ok)
		}
		runtime.KeepAlive(keep)
	})
}

//go:noinline
func fillInterior(m *cache.WeakValues[int, int], set *cache.WeakSet[int], zero *cache.WeakValues[int, struct{}], keep *withTail) {
	gone := &withTail{count: 2}
	m.Put(1, &gone.count)
	set.Add(&gone.count)
	zero.Put(1, &gone.tail)
}

// Pointer-free objects of 16 bytes or less may be batched by the tiny
// allocator; whether they are released depends on their neighbours, so this
// only checks that the containers handle them and logs what happened.
func TestTinyObjects(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		m := cache.NewWeakValues[int, int64](cache.WithStrategy(s))
		keys := cache.NewWeakKeys[int32, string](cache.WithStrategy(s))
		set := cache.NewWeakSet[[2]int64](cache.WithStrategy(s))
		wp := fillTiny(m, keys, set)
		v, _ := m.Get(0)
		k := new(int32)
		keys.Put(k, "kept")
		if got, ok := keys.Get(k); !ok || got != "kept" {
			t.Errorf("WeakKeys: Get of a live tiny key = %q, %v", got, ok)
		}
		if _, err := inspect.Settle(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Logf("after settling: tiny value collected %v; Len %d, %d, %d",
			wp.Value() == nil, m.Len(), keys.Len(), set.Len())
		for k, v := range m.All() {
			if v == nil {
				t.Errorf("All yielded a nil value for %d", k)
			}
		}
		runtime.KeepAlive(v)
		runtime.KeepAlive(k)
	})
}

//go:noinline
func fillTiny(m *cache.WeakValues[int, int64], keys *cache.WeakKeys[int32, string], set *cache.WeakSet[[2]int64]) weak.Pointer[int64] {
	kept := new(int64)
	*kept = 7
	m.Put(0, kept)
	dropped := new(int64)
	m.Put(1, dropped)
	keys.Put(new(int32), "dropped")
	set.Add(new([2]int64))
	if v, ok := m.Get(0); !ok || v != kept {
		panic("tiny value not found")
	}
	return weak.Make(dropped)
}
