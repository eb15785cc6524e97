package cache_test

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/scenario/cache"
)

// The benchmarks compare four holders over the same keys and values, each
// in a sub-benchmark named holder=X, so that
//
//	benchstat -col /holder
//
// prints one row per operation and one column per holder, with Strong as
// the baseline. Each holder's loop calls its methods directly (no interface
// in between), so the ratios are the containers' own.

const (
	benchN        = 10_000  // entries in the operation benchmarks
	benchBigN     = 100_000 // entries in the bytes-per-entry benchmark
	holderStrong  = "holder=Strong"
	holderCleanup = "holder=Cleanup"
	holderSweep   = "holder=Sweep"
	holderSyncMap = "holder=SyncMap"
)

// benchValue is 48 bytes with a pointer, so it is never tiny-allocated.
type benchValue struct {
	_  *benchValue // a pointer, so never tiny-allocated
	id int
	_  [4]uint64
}

func benchValues(n int) []*benchValue {
	vs := make([]*benchValue, n)
	for i := range vs {
		vs[i] = &benchValue{id: i}
	}
	return vs
}

func newCleanup() *cache.WeakValues[int, benchValue] {
	return cache.NewWeakValues[int, benchValue](cache.WithStrategy(cache.Cleanup))
}

func newSweep() *cache.WeakValues[int, benchValue] {
	return cache.NewWeakValues[int, benchValue](cache.WithStrategy(cache.Sweep))
}

// BenchmarkPut stores a new value under one of benchN keys, replacing the
// previous one: the allocation of the value is part of every holder's cost.
func BenchmarkPut(b *testing.B) {
	b.Run(holderStrong, func(b *testing.B) {
		b.ReportAllocs()
		m := cache.NewStrong[int, benchValue]()
		for i, v := range benchValues(benchN) {
			m.Put(i, v)
		}
		i := 0
		for b.Loop() {
			m.Put(i%benchN, &benchValue{id: i})
			i++
		}
	})
	weak := func(b *testing.B, m *cache.WeakValues[int, benchValue]) {
		b.ReportAllocs()
		keep := benchValues(benchN)
		for i, v := range keep {
			m.Put(i, v)
		}
		i := 0
		for b.Loop() {
			v := &benchValue{id: i}
			m.Put(i%benchN, v)
			keep[i%benchN] = v // the value stays alive, as in a real cache
			i++
		}
	}
	b.Run(holderCleanup, func(b *testing.B) { weak(b, newCleanup()) })
	b.Run(holderSweep, func(b *testing.B) { weak(b, newSweep()) })
	b.Run(holderSyncMap, func(b *testing.B) {
		b.ReportAllocs()
		var m sync.Map
		for i, v := range benchValues(benchN) {
			m.Store(i, v)
		}
		i := 0
		for b.Loop() {
			m.Store(i%benchN, &benchValue{id: i})
			i++
		}
	})
}

func BenchmarkGetHit(b *testing.B) {
	keep := benchValues(benchN)
	b.Run(holderStrong, func(b *testing.B) {
		b.ReportAllocs()
		m := cache.NewStrong[int, benchValue]()
		for i, v := range keep {
			m.Put(i, v)
		}
		i := 0
		for b.Loop() {
			if _, ok := m.Get(i % benchN); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	weak := func(b *testing.B, m *cache.WeakValues[int, benchValue]) {
		b.ReportAllocs()
		for i, v := range keep {
			m.Put(i, v)
		}
		i := 0
		for b.Loop() {
			if _, ok := m.Get(i % benchN); !ok {
				b.Fatal("miss")
			}
			i++
		}
	}
	b.Run(holderCleanup, func(b *testing.B) { weak(b, newCleanup()) })
	b.Run(holderSweep, func(b *testing.B) { weak(b, newSweep()) })
	b.Run(holderSyncMap, func(b *testing.B) {
		b.ReportAllocs()
		var m sync.Map
		for i, v := range keep {
			m.Store(i, v)
		}
		i := 0
		for b.Loop() {
			if _, ok := m.Load(i % benchN); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
}

// BenchmarkGetMiss looks up keys that were never stored.
func BenchmarkGetMiss(b *testing.B) {
	keep := benchValues(benchN)
	b.Run(holderStrong, func(b *testing.B) {
		b.ReportAllocs()
		m := cache.NewStrong[int, benchValue]()
		for i, v := range keep {
			m.Put(i, v)
		}
		i := 0
		for b.Loop() {
			if _, ok := m.Get(benchN + i%benchN); ok {
				b.Fatal("hit")
			}
			i++
		}
	})
	weak := func(b *testing.B, m *cache.WeakValues[int, benchValue]) {
		b.ReportAllocs()
		for i, v := range keep {
			m.Put(i, v)
		}
		i := 0
		for b.Loop() {
			if _, ok := m.Get(benchN + i%benchN); ok {
				b.Fatal("hit")
			}
			i++
		}
	}
	b.Run(holderCleanup, func(b *testing.B) { weak(b, newCleanup()) })
	b.Run(holderSweep, func(b *testing.B) { weak(b, newSweep()) })
	b.Run(holderSyncMap, func(b *testing.B) {
		b.ReportAllocs()
		var m sync.Map
		for i, v := range keep {
			m.Store(i, v)
		}
		i := 0
		for b.Loop() {
			if _, ok := m.Load(benchN + i%benchN); ok {
				b.Fatal("hit")
			}
			i++
		}
	})
}

// BenchmarkDelete deletes present entries; after every benchN deletes the
// holder is refilled with the timer stopped.
func BenchmarkDelete(b *testing.B) {
	keep := benchValues(benchN)
	b.Run(holderStrong, func(b *testing.B) {
		b.ReportAllocs()
		m := cache.NewStrong[int, benchValue]()
		fill := func() {
			for i, v := range keep {
				m.Put(i, v)
			}
		}
		fill()
		i := 0
		for b.Loop() {
			m.Delete(i)
			if i++; i == benchN {
				b.StopTimer()
				fill()
				i = 0
				b.StartTimer()
			}
		}
	})
	weak := func(b *testing.B, m *cache.WeakValues[int, benchValue]) {
		b.ReportAllocs()
		fill := func() {
			for i, v := range keep {
				m.Put(i, v)
			}
		}
		fill()
		i := 0
		for b.Loop() {
			m.Delete(i)
			if i++; i == benchN {
				b.StopTimer()
				fill()
				i = 0
				b.StartTimer()
			}
		}
	}
	b.Run(holderCleanup, func(b *testing.B) { weak(b, newCleanup()) })
	b.Run(holderSweep, func(b *testing.B) { weak(b, newSweep()) })
	b.Run(holderSyncMap, func(b *testing.B) {
		b.ReportAllocs()
		var m sync.Map
		fill := func() {
			for i, v := range keep {
				m.Store(i, v)
			}
		}
		fill()
		i := 0
		for b.Loop() {
			m.Delete(i)
			if i++; i == benchN {
				b.StopTimer()
				fill()
				i = 0
				b.StartTimer()
			}
		}
	})
}

// BenchmarkAll is one full iteration over benchN entries per op.
func BenchmarkAll(b *testing.B) {
	keep := benchValues(benchN)
	b.Run(holderStrong, func(b *testing.B) {
		b.ReportAllocs()
		m := cache.NewStrong[int, benchValue]()
		for i, v := range keep {
			m.Put(i, v)
		}
		for b.Loop() {
			n := 0
			for range m.All() {
				n++
			}
			if n != benchN {
				b.Fatalf("All yielded %d entries, want %d", n, benchN)
			}
		}
	})
	weak := func(b *testing.B, m *cache.WeakValues[int, benchValue]) {
		b.ReportAllocs()
		for i, v := range keep {
			m.Put(i, v)
		}
		for b.Loop() {
			n := 0
			for range m.All() {
				n++
			}
			if n != benchN {
				b.Fatalf("All yielded %d entries, want %d", n, benchN)
			}
		}
	}
	b.Run(holderCleanup, func(b *testing.B) { weak(b, newCleanup()) })
	b.Run(holderSweep, func(b *testing.B) { weak(b, newSweep()) })
	b.Run(holderSyncMap, func(b *testing.B) {
		b.ReportAllocs()
		var m sync.Map
		for i, v := range keep {
			m.Store(i, v)
		}
		for b.Loop() {
			n := 0
			m.Range(func(any, any) bool { n++; return true })
			if n != benchN {
				b.Fatalf("Range yielded %d entries, want %d", n, benchN)
			}
		}
	})
}

// BenchmarkBytesPerEntry reports the live heap a holder of benchBigN entries
// occupies, per entry (B/entry), not counting the values, which the caller
// holds in every case. Its ns/op is the time to fill and settle and means
// nothing. Live heap leaves out the runtime's off-heap records: 32 bytes per
// weak handle and 56 per cleanup (Go 1.26); see docs/CACHE.md.
func BenchmarkBytesPerEntry(b *testing.B) {
	measure := func(b *testing.B, fill func(vals []*benchValue) (holder any)) {
		var sum float64
		for b.Loop() {
			// Fresh values every time: a value keeps its weak handle for
			// life, so reused ones would hide the handles' cost.
			vals := benchValues(benchBigN)
			settleBench(b)
			before := inspect.Read().HeapLiveBytes
			h := fill(vals)
			settleBench(b)
			after := inspect.Read().HeapLiveBytes
			sum += (float64(after) - float64(before)) / benchBigN
			runtime.KeepAlive(h)
			runtime.KeepAlive(vals)
		}
		b.ReportMetric(sum/float64(b.N), "B/entry")
	}
	b.Run(holderStrong, func(b *testing.B) {
		measure(b, func(vals []*benchValue) any {
			m := cache.NewStrong[int, benchValue]()
			for i, v := range vals {
				m.Put(i, v)
			}
			return m
		})
	})
	weak := func(b *testing.B, newMap func() *cache.WeakValues[int, benchValue]) {
		measure(b, func(vals []*benchValue) any {
			m := newMap()
			for i, v := range vals {
				m.Put(i, v)
			}
			return m
		})
	}
	b.Run(holderCleanup, func(b *testing.B) { weak(b, newCleanup) })
	b.Run(holderSweep, func(b *testing.B) { weak(b, newSweep) })
	b.Run(holderSyncMap, func(b *testing.B) {
		measure(b, func(vals []*benchValue) any {
			m := new(sync.Map)
			for i, v := range vals {
				m.Store(i, v)
			}
			return m
		})
	})
}

func settleBench(b *testing.B) {
	b.Helper()
	if _, err := inspect.Settle(context.Background()); err != nil {
		b.Fatal(err)
	}
}
