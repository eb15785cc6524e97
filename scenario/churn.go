package scenario

import (
	"math/rand/v2"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario/cache"
)

func init() {
	capacity := func(p Params) float64 { return extra(p, "capacity", 1000) }
	register(&Scenario{
		Name:        "churn",
		Description: "a skewed request stream through an unbounded map, a weak-value map and the bounded caches Go developers pick",
		Explanation: `Is a weak map a good cache? A steady stream of requests over a Zipf-skewed
key space goes through four caches: an unbounded strong map (every value
kept forever: the best hit ratio and the most memory), a weak-value map
(values kept only while some request still holds them, so every GC cycle
empties it), and two bounded caches at the same capacity,
hashicorp/golang-lru (LRU) and maypok86/otter (S3-FIFO with frequency).
Each request that misses allocates its value and stores it; the caller
drops it when done. The weak map's hit ratio depends on how often the GC
runs, not on what is popular: between two cycles it behaves like the
unbounded map, and every cycle empties it. A larger heap, a higher GOGC or
fewer allocations elsewhere make it look better; nothing bounds it or keeps
the popular keys. It is a canonicalising map, not a cache with a hit-rate
goal (compare --gogc 25,100,400).`,
		Defaults: Params{Objects: 20_000, Size: 1024, Extra: map[string]float64{"requests": 200_000, "capacity": 1000, "zipf_s": 1.1}},
		Variants: []Variant{
			{Name: "strong-map", Holder: "cache.Strong", New: func(p Params) Subject {
				m := cache.NewStrong[int, object]()
				return &churnSubject{p: p, get: m.Get, put: m.Put, size: m.Len}
			}},
			{Name: "weak-values", Holder: "cache.WeakValues", New: func(p Params) Subject {
				m := cache.NewWeakValues[int, object]()
				return &churnSubject{p: p, get: m.Get, put: m.Put, size: m.Len}
			}, Volatile: []string{report.RetainedBytes, report.RetainedObjects}}, // the map's table grows to whatever a GC interval filled
			{Name: "lru", Holder: "golang-lru/v2.Cache", New: func(p Params) Subject {
				c, err := lru.New[int, *object](int(capacity(p)))
				if err != nil {
					panic(err) // capacity is validated ≥ 1
				}
				return &churnSubject{p: p, get: c.Get, put: func(k int, v *object) { c.Add(k, v) }, size: c.Len}
			}},
			{Name: "otter", Holder: "otter/v2.Cache", New: func(p Params) Subject {
				c := otter.Must(&otter.Options[int, *object]{MaximumSize: int(capacity(p))})
				return &churnSubject{p: p, get: c.GetIfPresent, put: func(k int, v *object) { c.Set(k, v) }, size: c.EstimatedSize}
			}},
		},
		Expectations: []Expectation{
			{Text: "the unbounded strong map has the best hit ratio", Check: all(
				atLeastAs("strong-map", "lru", "hit_ratio"),
				atLeastAs("strong-map", "otter", "hit_ratio"),
				atLeastAs("strong-map", "weak-values", "hit_ratio"))},
			{Text: "the weak-value map keeps nothing once the requests stop: each GC cycle empties it", Check: metricEquals("weak-values", report.Entries, zero)},
			{Text: "the bounded caches stay within their capacity", Check: all(
				metricAtMost("lru", report.Entries, capacity),
				metricAtMost("otter", report.Entries, func(p Params) float64 { return capacity(p) * 1.1 }))},
			{Text: "the unbounded strong map keeps every key it saw, the bounded caches at most their capacity", Check: all(
				atLeastAs("strong-map", "lru", report.Entries),
				atLeastAs("strong-map", "otter", report.Entries))},
		},
	})
}

type churnSubject struct {
	p    Params
	get  func(int) (*object, bool)
	put  func(int, *object)
	size func() int

	hits, requests int
	cycles         uint64
	allocated      uint64
	peak           uint64
}

func (s *churnSubject) Populate() {
	n := int(extra(s.p, "requests", 200_000))
	zs := extra(s.p, "zipf_s", 1.1)
	rng := rand.New(rand.NewPCG(1, 2)) // the same stream for every variant
	z := rand.NewZipf(rng, zs, 1, uint64(max(s.p.Objects-1, 1)))
	before := inspect.Read()
	peak := before.HeapObjectBytes
	for i := range n {
		if i%1024 == 0 {
			// The per-cycle readings come after each sweep; the heap is
			// largest just before a cycle, so look during the stream too.
			peak = max(peak, inspect.Read().HeapObjectBytes)
		}
		k := int(z.Uint64())
		v, ok := s.get(k)
		if ok && v != nil {
			s.hits++
		} else {
			v = newObject(k, s.p.Size)
			s.put(k, v)
		}
		v.next = nil // the request "uses" its value, then drops it
	}
	after := inspect.Read()
	s.requests = n
	s.cycles = after.Cycle - before.Cycle
	s.allocated = after.AllocBytes - before.AllocBytes
	s.peak = max(peak, after.HeapObjectBytes)
}

func (s *churnSubject) Release() {}
func (s *churnSubject) Len() int { return s.size() }
func (s *churnSubject) Measure(m map[string]float64) {
	m["hit_ratio"] = float64(s.hits) / float64(max(s.requests, 1))
	m["gc_cycles"] = float64(s.cycles)
	m["alloc_bytes_per_request"] = float64(s.allocated) / float64(max(s.requests, 1))
	m[report.PeakHeapBytes] = max(m[report.PeakHeapBytes], float64(s.peak))
}
