package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"testing"
	"time"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

// recorder prints each measurement as a benchmark line and keeps it for
// the ratio table.
type recorder struct {
	w       io.Writer
	filter  *regexp.Regexp
	size    int
	round   int
	samples map[sampleKey][]sample
	kinds   map[string]kind
}

// sample is one measurement and the round it was taken in, so that a
// holder's figure is divided by its limit's from the same round.
type sample struct {
	round int
	v     float64
}

type sampleKey struct {
	op, holder, unit string
	n                int
}

func newRecorder(w io.Writer, filter *regexp.Regexp) *recorder {
	return &recorder{w: w, filter: filter, samples: map[sampleKey][]sample{}, kinds: map[string]kind{}}
}

func sizeName(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func (r *recorder) name(op, holder string) string {
	return fmt.Sprintf("Benchmark%s/n=%s/holder=%s", op, sizeName(r.size), holder)
}

func (r *recorder) wants(op, holder string) bool { return r.filter.MatchString(r.name(op, holder)) }

// bench runs f as a Go benchmark and records its time per op.
func (r *recorder) bench(op, holder string, k kind, f func(b *testing.B)) {
	if !r.wants(op, holder) {
		return
	}
	res := testing.Benchmark(f)
	if res.N == 0 {
		fmt.Fprintf(r.w, "# %s: failed\n", r.name(op, holder))
		return
	}
	ns := float64(res.T.Nanoseconds()) / float64(res.N)
	fmt.Fprintf(r.w, "%s-%d\t%d\t%.2f ns/op\t%d B/op\t%d allocs/op\n", r.name(op, holder), runtime.GOMAXPROCS(0),
		res.N, ns, res.AllocedBytesPerOp(), res.AllocsPerOp())
	r.add(op, holder, k, "ns/op", ns)
}

// metric records a measurement that is not a time.
func (r *recorder) metric(op, holder string, k kind, unit string, v float64) {
	fmt.Fprintf(r.w, "%s-%d\t1\t%.2f %s\n", r.name(op, holder), runtime.GOMAXPROCS(0), v, unit)
	r.add(op, holder, k, unit, v)
}

func (r *recorder) add(op, holder string, k kind, unit string, v float64) {
	key := sampleKey{op, holder, unit, r.size}
	r.samples[key] = append(r.samples[key], sample{r.round, v})
	r.kinds[holder] = k
}

func newValues(n int) []*value {
	vs := make([]*value, n)
	for i := range vs {
		vs[i] = &value{id: i}
	}
	return vs
}

func noop(int) {}

// measureAlloc measures a bare allocation of a value, the floor of every
// Put.
func measureAlloc(r *recorder, n int) {
	keep := newValues(n)
	r.bench("Put", "alloc", limitHolder, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			keep[i%n] = &value{id: i}
		}
	})
	runtime.KeepAlive(keep)
}

// measurePutLimit measures what a weak Put cannot avoid: the allocation
// of the value and its weak pointer, and under Cleanup its cleanup. It
// starts from n values that already have what it adds, as a full
// container's values do, since the runtime files weak handles and
// cleanups in a list per span that each new one is inserted into. It is
// measured just before each weak holder's own Put, under op, so that the
// limit and the holder share the heap's state and the machine's load.
func measurePutLimit(r *recorder, op string, n int, k kind) {
	if k != weakSweep && k != weakCleanup {
		return
	}
	addCleanup := k == weakCleanup
	holder := "alloc+weak.Make"
	if addCleanup {
		holder = "alloc+weak.Make+AddCleanup"
	}
	keep := newValues(n)
	wps := make([]weak.Pointer[value], n)
	for i, v := range keep {
		wps[i] = weak.Make(v)
		if addCleanup {
			runtime.AddCleanup(v, noop, i)
		}
	}
	r.bench(op, holder, limitHolder, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			v := &value{id: i}
			wps[i%n] = weak.Make(v)
			if addCleanup {
				runtime.AddCleanup(v, noop, i%n)
			}
			keep[i%n] = v
		}
	})
	runtime.KeepAlive(keep)
}

// measureMap measures one map holder at size n: its operations on a full
// holder, its heap bytes per entry, and for weak holders the GC cycles
// until the entries of dropped values are gone.
func measureMap(r *recorder, c mapCase, n int) {
	h := c.new(n)
	keep := newValues(n)
	for i, v := range keep {
		h.Put(i, v)
	}
	r.bench("Get", c.name, c.kind, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, ok := h.Get(i % n); !ok {
				b.Fatal("miss")
			}
		}
	})
	r.bench("GetMiss", c.name, c.kind, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, ok := h.Get(n + i%n); ok {
				b.Fatal("hit")
			}
		}
	})
	r.bench("GetParallel", c.name, c.kind, func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(n)
			for pb.Next() {
				if _, ok := h.Get(i % n); !ok {
					panic("miss")
				}
				i++
			}
		})
	})
	r.bench("All", c.name, c.kind, func(b *testing.B) {
		for b.Loop() {
			cnt := 0
			h.Range(func(int, *value) bool { cnt++; return true })
			if cnt != n {
				b.Fatalf("iterated %d entries, want %d", cnt, n)
			}
		}
	})
	measurePutLimit(r, "Put", n, c.kind)
	settle()
	r.bench("Put", c.name, c.kind, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			v := &value{id: i}
			h.Put(i%n, v)
			keep[i%n] = v // the value stays alive, as its users would keep it
		}
	})
	// Delete comes last: it leaves the holder part empty. Each refill
	// stores fresh values, as a program stores new values after deleting
	// old ones; storing the same values again would pile up the cleanups
	// that the hand-rolled map never stops, on values that never die.
	// testing.Benchmark calls the function several times, with growing
	// b.N: the position goes on from one call to the next, so that every
	// Delete finds its entry.
	del := 0
	r.bench("Delete", c.name, c.kind, func(b *testing.B) {
		i := del
		defer func() { del = i }()
		for b.Loop() {
			h.Delete(i)
			if i++; i == n {
				b.StopTimer()
				for j := range keep {
					keep[j] = &value{id: j}
					h.Put(j, keep[j])
				}
				i = 0
				b.StartTimer()
			}
		}
	})
	runtime.KeepAlive(keep)
	runtime.KeepAlive(h)
	h, keep = nil, nil
	_, _ = h, keep

	if r.wants("BytesPerEntry", c.name) {
		r.metric("BytesPerEntry", c.name, c.kind, "B/entry", bytesPerEntry(n, func(vals []*value) any {
			h := c.new(n)
			for i, v := range vals {
				h.Put(i, v)
			}
			return h
		}))
	}
	// A WeakCache holding every entry strongly never empties.
	if (c.kind == weakCleanup || c.kind == weakSweep || c.name == "handrolled") && c.strongPart == nil &&
		r.wants("CyclesToEmpty", c.name) {
		r.metric("CyclesToEmpty", c.name, c.kind, "cycles", cyclesUntil(func() lenner {
			h := c.new(n)
			for i, v := range newValues(n) {
				h.Put(i, v)
			}
			return h
		}))
	}
}

// measureSet is measureMap for sets: Add stores a new element and removes
// the one it replaces, so every set stays at n elements.
func measureSet(r *recorder, c setCase, n int) {
	h := c.new(n)
	keep := newValues(n)
	absent := newValues(n)
	for _, v := range keep {
		h.Add(v)
	}
	r.bench("Contains", c.name, c.kind, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if !h.Contains(keep[i%n]) {
				b.Fatal("miss")
			}
		}
	})
	r.bench("ContainsMiss", c.name, c.kind, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if h.Contains(absent[i%n]) {
				b.Fatal("hit")
			}
		}
	})
	r.bench("ContainsParallel", c.name, c.kind, func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(n)
			for pb.Next() {
				if !h.Contains(keep[i%n]) {
					panic("miss")
				}
				i++
			}
		})
	})
	r.bench("SetAll", c.name, c.kind, func(b *testing.B) {
		for b.Loop() {
			cnt := 0
			h.Range(func(*value) bool { cnt++; return true })
			if cnt < n {
				b.Fatalf("iterated %d elements, want at least %d", cnt, n)
			}
		}
	})
	measurePutLimit(r, "Add", n, c.kind)
	settle()
	r.bench("Add", c.name, c.kind, func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			v := &value{id: i}
			h.Add(v)
			h.Remove(keep[i%n])
			keep[i%n] = v
		}
	})
	del := 0
	r.bench("Remove", c.name, c.kind, func(b *testing.B) {
		i := del
		defer func() { del = i }()
		for b.Loop() {
			h.Remove(keep[i])
			if i++; i == n {
				b.StopTimer()
				for j := range keep {
					keep[j] = &value{id: j}
					h.Add(keep[j])
				}
				i = 0
				b.StartTimer()
			}
		}
	})
	runtime.KeepAlive(keep)
	runtime.KeepAlive(absent)
	runtime.KeepAlive(h)
	h, keep, absent = nil, nil, nil
	_, _, _ = h, keep, absent

	if r.wants("SetBytesPerEntry", c.name) {
		r.metric("SetBytesPerEntry", c.name, c.kind, "B/entry", bytesPerEntry(n, func(vals []*value) any {
			h := c.new(n)
			for _, v := range vals {
				h.Add(v)
			}
			return h
		}))
	}
	if (c.kind == weakCleanup || c.kind == weakSweep || c.name == "handrolled") && r.wants("SetCyclesToEmpty", c.name) {
		r.metric("SetCyclesToEmpty", c.name, c.kind, "cycles", cyclesUntil(func() lenner {
			h := c.new(n)
			for _, v := range newValues(n) {
				h.Add(v)
			}
			return h
		}))
	}
}

// settle collects what the measurements before left behind and waits for
// its cleanups to run. Between holders and after a Put limit it keeps the
// next measurement from paying for tearing down a million values and their
// weak handles and cleanups (the runtime runs cleanups on one goroutine,
// which would compete with the next holder for the two cores) or for a
// dead container's last sweeps.
func settle() {
	if _, err := inspect.Settle(context.Background()); err != nil {
		panic(err)
	}
}

// bytesPerEntry is the live heap a holder of n entries occupies per entry,
// not counting the values, which its users hold. The values are fresh: a
// value keeps its weak handle for life, and reused ones would hide its cost.
// The runtime's records of weak handles and cleanups are off the heap and
// not counted (32 and 56 bytes each in Go 1.26).
func bytesPerEntry(n int, fill func(vals []*value) any) float64 {
	vals := newValues(n)
	settle()
	before := inspect.Read().HeapLiveBytes
	h := fill(vals)
	settle()
	after := inspect.Read().HeapLiveBytes
	runtime.KeepAlive(h)
	runtime.KeepAlive(vals)
	return (float64(after) - float64(before)) / float64(n)
}

type lenner interface{ Len() int }

// cyclesUntil fills a holder whose values nobody else holds, then forces
// GC cycles, each followed by the holder's own work (a sweep) and the
// cleanups it queued, until the holder is empty; it returns the cycles
// that took, or -1 if 20 did not suffice.
func cyclesUntil(fill func() lenner) float64 {
	settle()
	h := fill()
	for cycles := 1; cycles <= 20; cycles++ {
		runtime.GC()
		if s, ok := h.(interface{ AwaitSweep() }); ok {
			s.AwaitSweep()
		}
		waitCleanups()
		if h.Len() == 0 {
			return float64(cycles)
		}
	}
	return -1
}

// waitCleanups waits, within a second, until the cleanups queued so far
// have run.
func waitCleanups() {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		s := inspect.Read()
		if s.CleanupsExecuted >= s.CleanupsQueued {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
