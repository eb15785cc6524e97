package cache_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/weakscope/weakscope/scenario/cache"
)

// 6. Many goroutines use every method of the weak containers while GC
// cycles run and values die under them. The race detector checks the
// locking; the test checks that a found entry is never nil and always the
// one filed under its key (every value records its key).
func TestConcurrentUse(t *testing.T) {
	forEachStrategy(t, func(t *testing.T, s cache.Strategy) {
		const (
			workers  = 4
			ops      = 1500
			keySpace = 64
		)
		m := cache.NewWeakValues[int, node](cache.WithStrategy(s), cache.WithStats())
		keys := cache.NewWeakKeys[node, int](cache.WithStrategy(s))
		set := cache.NewWeakSet[node](cache.WithStrategy(s))

		var done atomic.Bool
		gcs := make(chan int)
		go func() {
			n := 0
			for !done.Load() {
				runtime.GC()
				n++
			}
			gcs <- n
		}()

		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				// Each worker keeps its recent values alive for a
				// while; older ones die at the next cycle.
				ring := make([]*node, 8)
				for i := range ops {
					k := (i*7 + w*13) % keySpace
					v := &node{id: k}
					ring[i%len(ring)] = v
					old := ring[(i+1)%len(ring)]
					switch i % 7 {
					case 0:
						m.Put(k, v)
						keys.Put(v, k)
						set.Add(v)
					case 1:
						if got, ok := m.Get(k); ok && (got == nil || got.id != k) {
							t.Errorf("Get(%d) = %v, true", k, got)
						}
						if old != nil {
							if got, ok := keys.Get(old); ok && got != old.id {
								t.Errorf("WeakKeys: Get = %d, want %d", got, old.id)
							}
							set.Contains(old)
						}
					case 2:
						m.Delete(k)
						if old != nil {
							keys.Delete(old)
							set.Remove(old)
						}
					case 3:
						got, loaded := m.LoadOrStore(k, v)
						if got == nil || got.id != k || (!loaded && got != v) {
							t.Errorf("LoadOrStore(%d) = %v, %v", k, got, loaded)
						}
					case 4:
						for k, v := range m.All() {
							if v == nil || v.id != k {
								t.Errorf("WeakValues.All yielded %d, %v", k, v)
							}
						}
					case 5:
						for k, v := range keys.All() {
							if k == nil || k.id != v {
								t.Errorf("WeakKeys.All yielded %v, %d", k, v)
							}
						}
						for x := range set.All() {
							if x == nil {
								t.Error("WeakSet.All yielded nil")
							}
						}
					case 6:
						_ = m.Len() + keys.Len() + set.Len()
						_, _, _ = m.Stats(), keys.Stats(), set.Stats()
					}
				}
			})
		}
		wg.Wait()
		done.Store(true)
		t.Logf("%d GC cycles forced during the run", <-gcs)
		st := m.Stats()
		if st.Hits+st.Misses == 0 || st.Puts == 0 {
			t.Errorf("WeakValues Stats = %+v: the workers did nothing?", st)
		}
	})
}
