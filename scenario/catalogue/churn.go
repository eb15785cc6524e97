package catalogue

import (
	"github.com/weakscope/weakscope/scenario"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario/cache"
)

// churn is the churn scenario.
func churn() *scenario.Scenario {
	capacity := func(p Params) float64 { return p.ExtraOr("capacity", 1000) }
	return &scenario.Scenario{
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
		Variants: []scenario.Variant{
			intMap("strong-map", "cache.Strong", func(Params) scenario.MapHolder[int, object] {
				return cache.NewStrong[int, object]()
			}).Requests(),
			scenario.Map[int, object]{Name: "weak-values", Holder: "cache.WeakValues", Key: intKey, Value: newValue,
				New: func(Params) scenario.MapHolder[int, object] { return cache.NewWeakValues[int, object]() },
				// The map's table grows to whatever a GC interval filled.
				Volatile: []string{report.RetainedBytes, report.RetainedObjects},
			}.Requests(),
			intMap("lru", "golang-lru/v2.Cache", func(p Params) scenario.MapHolder[int, object] {
				c, err := lru.New[int, *object](int(capacity(p)))
				if err != nil {
					panic(err) // capacity is validated ≥ 1
				}
				return scenario.MapFuncs[int, object]{GetFunc: c.Get, PutFunc: func(k int, v *object) { c.Add(k, v) }, LenFunc: c.Len, Wrapped: c}
			}).Requests(),
			intMap("otter", "otter/v2.Cache", func(p Params) scenario.MapHolder[int, object] {
				c := otter.Must(&otter.Options[int, *object]{MaximumSize: int(capacity(p))})
				return scenario.MapFuncs[int, object]{GetFunc: c.GetIfPresent, PutFunc: func(k int, v *object) { c.Set(k, v) }, LenFunc: c.EstimatedSize, Wrapped: c}
			}).Requests(),
		},
		Expectations: []scenario.Expectation{
			{Text: "the unbounded strong map has the best hit ratio", Check: scenario.AllOf(scenario.AtLeastAs("strong-map", "lru", "hit_ratio"),
				scenario.AtLeastAs("strong-map", "otter", "hit_ratio"),
				scenario.AtLeastAs("strong-map", "weak-values", "hit_ratio"))},
			{Text: "the weak-value map keeps nothing once the requests stop: each GC cycle empties it", Check: scenario.Equals("weak-values", report.Entries, scenario.Const(0))},
			{Text: "the bounded caches stay within their capacity", Check: scenario.AllOf(scenario.AtMost("lru", report.Entries, capacity),
				scenario.AtMost("otter", report.Entries, func(p Params) float64 { return capacity(p) * 1.1 }))},
			{Text: "the unbounded strong map keeps every key it saw, the bounded caches at most their capacity", Check: scenario.AllOf(scenario.AtLeastAs("strong-map", "lru", report.Entries),
				scenario.AtLeastAs("strong-map", "otter", report.Entries))},
		},
	}
}
