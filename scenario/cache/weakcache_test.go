package cache_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// The strong part takes values while it has room; the rest are held only
// weakly and go once their callers drop them.
func TestWeakCacheHoldsUpToCapacity(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		c := cache.NewWeakCache[int, node](3, cache.WithStrategy(s))
		for i := range 5 {
			c.Put(i, &node{id: i})
		}
		if c.Held() != 3 || c.Capacity() != 3 || c.Len() != 5 {
			t.Fatalf("Held %d, Capacity %d, Len %d; want 3, 3, 5", c.Held(), c.Capacity(), c.Len())
		}
		settleTo(t, s, c.Len, 3)
		for i := range 5 {
			v, ok := c.Get(i)
			if want := i < 3; ok != want || (ok && v.id != i) {
				t.Errorf("Get(%d) = %v, %v; want found %v", i, v, ok, want)
			}
		}
		if st := c.Stats(); st.Reclaimed != 2 {
			t.Errorf("Reclaimed = %d, want 2", st.Reclaimed)
		}
	})
}

// A value pushed out of the strong part while a caller still holds it is
// still found, identical: the cache never makes its key miss while the
// value lives, so nobody builds a second one.
func TestWeakCacheNeverDuplicatesALiveValue(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		c := cache.NewWeakCache[string, node](1, cache.WithStrategy(s))
		a, b := &node{id: 1}, &node{id: 2}
		c.Put("a", a) // held strongly: there was room
		c.Put("b", b) // held weakly: full
		if got, ok := c.Get("b"); !ok || got != b {
			t.Fatalf("Get(b) = %p, %v; want %p", got, ok, b)
		}
		// That hit found b held only weakly, so b took a's place.
		settleTo(t, s, c.Len, 2)
		if got, ok := c.Get("a"); !ok || got != a {
			t.Fatalf("Get(a) after a was pushed out, while its caller holds it = %p, %v; want %p", got, ok, a)
		}
		if got, loaded := c.LoadOrStore("a", &node{id: 3}); !loaded || got != a {
			t.Fatalf("LoadOrStore(a) = %p, %v; want the live %p", got, loaded, a)
		}
		// Now a was found again and took b's place; b's caller lets go.
		b = nil
		_ = b
		settleTo(t, s, c.Len, 1)
		if _, ok := c.Get("b"); ok {
			t.Error("b was found after it was pushed out and dropped")
		}
		if c.Held() != 1 {
			t.Errorf("Held = %d, want 1", c.Held())
		}
		runtime.KeepAlive(a)
	})
}

// The CLOCK hand passes over values found since it last came by: the
// value found again stays, the other one is pushed out.
func TestWeakCacheKeepsWhatIsUsed(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		c := cache.NewWeakCache[int, node](2, cache.WithStrategy(s))
		c.Put(0, &node{id: 0})
		c.Put(1, &node{id: 1})
		if _, ok := c.Get(0); !ok {
			t.Fatal("Get(0) missed")
		}
		newcomer := &node{id: 2}
		c.Put(2, newcomer)
		if _, ok := c.Get(2); !ok { // found while only weakly held: enters
			t.Fatal("Get(2) missed")
		}
		newcomer = nil
		_ = newcomer
		settleTo(t, s, c.Len, 2)
		if _, ok := c.Get(0); !ok {
			t.Error("the value used since the hand last passed was pushed out")
		}
		if _, ok := c.Get(1); ok {
			t.Error("the unused value survived")
		}
		if _, ok := c.Get(2); !ok {
			t.Error("the newcomer found again was not kept")
		}
	})
}

// Replacing a strongly held value gives its slot to the new one; Delete
// lets go of the value; Put(k, nil) deletes.
func TestWeakCacheReplaceAndDelete(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		c := cache.NewWeakCache[string, node](2, cache.WithStrategy(s))
		old := putCache(c, "k", 1)
		replacement := putCache(c, "k", 2)
		ctx := context.Background()
		if _, err := inspect.WaitCollected(ctx, old); err != nil {
			t.Fatalf("the replaced value: %v", err)
		}
		if v, ok := c.Get("k"); !ok || v != replacement.Value() || c.Held() != 1 {
			t.Fatalf("Get = %p, %v, Held %d; want the replacement, held", v, ok, c.Held())
		}
		c.Delete("k")
		if _, err := inspect.WaitCollected(ctx, replacement); err != nil {
			t.Fatalf("the deleted value: %v", err)
		}
		if c.Len() != 0 || c.Held() != 0 {
			t.Errorf("after Delete: Len %d, Held %d", c.Len(), c.Held())
		}
		d := putCache(c, "d", 3)
		c.Put("d", nil)
		if _, err := inspect.WaitCollected(ctx, d); err != nil || c.Len() != 0 || c.Held() != 0 {
			t.Errorf("after Put(d, nil): %v, Len %d, Held %d", err, c.Len(), c.Held())
		}
		// The freed slots are used again.
		for i := range 3 {
			c.Put(string(rune('x'+i)), &node{id: i})
		}
		if c.Held() != 2 {
			t.Errorf("Held = %d after three Puts into two free slots, want 2", c.Held())
		}
	})
}

//go:noinline
func putCache(c *cache.WeakCache[string, node], k string, id int) weak.Pointer[node] {
	v := &node{id: id}
	c.Put(k, v)
	return weak.Make(v)
}

func TestWeakCacheAllAndCapacity(t *testing.T) {
	c := cache.NewWeakCache[int, node](4)
	keep := newNodes(8)
	for i, v := range keep {
		c.Put(i, v)
	}
	got := collect(t, c.All())
	if len(got) != 8 {
		t.Errorf("All yielded %d entries, want 8", len(got))
	}
	for k, v := range got {
		if v != keep[k] {
			t.Errorf("All yielded %d, %p; want %p", k, v, keep[k])
		}
	}
	for _, bad := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewWeakCache(%d) did not panic", bad)
				}
			}()
			cache.NewWeakCache[int, node](bad)
		}()
	}
	runtime.KeepAlive(keep)
}

// Many goroutines hit, miss, store, replace and delete over a key space
// larger than the capacity while GC cycles run. Every value found is the
// one filed under its key, Held never exceeds the capacity, and once
// everyone lets go exactly the strongly held values remain.
func TestWeakCacheConcurrentUse(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const workers, ops, keySpace, capacity = 4, 2000, 128, 16
		c := cache.NewWeakCache[int, node](capacity, cache.WithStrategy(s))
		var done atomic.Bool
		gcs := make(chan struct{})
		go func() {
			for !done.Load() {
				runtime.GC()
			}
			close(gcs)
		}()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				ring := make([]*node, 4)
				for i := range ops {
					k := (i*7 + w*13) % keySpace
					switch i % 6 {
					case 0, 1, 2:
						v, ok := c.Get(k)
						if ok && (v == nil || v.id != k) {
							t.Errorf("Get(%d) = %v", k, v)
						}
						if !ok {
							v, _ = c.LoadOrStore(k, &node{id: k})
						}
						ring[i%len(ring)] = v
					case 3:
						v := &node{id: k}
						c.Put(k, v)
						ring[i%len(ring)] = v
					case 4:
						c.Delete(k)
					case 5:
						for k, v := range c.All() {
							if v == nil || v.id != k {
								t.Errorf("All yielded %d, %v", k, v)
							}
						}
					}
					if h := c.Held(); h > capacity || h < 0 {
						t.Errorf("Held = %d, capacity %d", h, capacity)
					}
				}
			})
		}
		wg.Wait()
		done.Store(true)
		<-gcs
		held := c.Held()
		settleTo(t, s, c.Len, held)
	})
}
