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
		Description: "a skewed request stream through an unbounded map, a weak-value map, the bounded caches Go developers pick, and a bounded cache that is also weak",
		Explanation: `Is a weak map a good cache? A steady stream of requests over a Zipf-skewed
key space goes through five caches: an unbounded strong map (every value
kept forever: the best hit ratio and the most memory), a weak-value map
(values kept only while some request still holds them, so every GC cycle
empties it), two bounded caches at the same capacity, hashicorp/golang-lru
(LRU) and maypok86/otter (S3-FIFO with frequency), and cache.WeakCache at
that capacity too: a bounded cache whose values are also held weakly.
Each request that misses allocates its value and stores it; 100 requests
are in flight at a time, each holding its value until 100 later ones have
started. The weak map's hit ratio depends on how often the GC runs, not on
what is popular: between two cycles it behaves like the unbounded map, and
every cycle empties it (compare --gogc 25,100,400). The bounded caches keep
what is popular, but one that drops a value a request still holds makes
the next request for that key build a second copy while the first lives on
(duplicates). WeakCache keeps its most used values like a bounded cache and
finds every value still in use like a weak map: at least the bounded
caches' hit ratio, never a duplicate.`,
		Defaults: Params{Objects: 20_000, Size: 1024, Extra: map[string]float64{"requests": 200_000, "capacity": 1000, "zipf_s": 1.1, "inflight": 100}},
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
			intMap("weak-cache", "cache.WeakCache", func(p Params) scenario.MapHolder[int, object] {
				return cache.NewWeakCache[int, object](int(capacity(p)))
			}).Requests(),
		},
		Expectations: []scenario.Expectation{
			{Text: "the unbounded strong map has the best hit ratio", Check: scenario.AllOf(scenario.AtLeastAs("strong-map", "lru", "hit_ratio"),
				scenario.AtLeastAs("strong-map", "otter", "hit_ratio"),
				scenario.AtLeastAs("strong-map", "weak-values", "hit_ratio"),
				scenario.AtLeastAs("strong-map", "weak-cache", "hit_ratio"))},
			{Text: "the weak-value map keeps nothing once the requests stop: each GC cycle empties it", Check: scenario.Equals("weak-values", report.Entries, scenario.Const(0))},
			{Text: "the bounded caches stay within their capacity", Check: scenario.AllOf(scenario.AtMost("lru", report.Entries, capacity),
				scenario.AtMost("otter", report.Entries, func(p Params) float64 { return capacity(p) * 1.1 }),
				scenario.AtMost("weak-cache", report.Entries, capacity))},
			{Text: "the unbounded strong map keeps every key it saw, the bounded caches at most their capacity", Check: scenario.AllOf(scenario.AtLeastAs("strong-map", "lru", report.Entries),
				scenario.AtLeastAs("strong-map", "otter", report.Entries), scenario.AtLeastAs("strong-map", "weak-cache", report.Entries))},
			{Text: "the weak cache hits at least as often as the best bounded cache at the same capacity", Check: scenario.AllOf(scenario.AtLeastAs("weak-cache", "lru", "hit_ratio"),
				scenario.AtLeastAs("weak-cache", "otter", "hit_ratio"))},
			{Text: "no request builds a second value for a key whose value another request still holds, with a weak map in front", Check: scenario.AllOf(
				scenario.Equals("weak-cache", "duplicates", scenario.Const(0)),
				scenario.Equals("weak-values", "duplicates", scenario.Const(0)),
				scenario.Equals("strong-map", "duplicates", scenario.Const(0)))},
		},
	}
}
