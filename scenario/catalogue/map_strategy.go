package catalogue

import (
	"fmt"
	"github.com/weakscope/weakscope/scenario"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario/cache"
)

// mapStrategy is the map-strategy scenario.
func mapStrategy() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "map-strategy",
		Description: "cache.WeakValues with a cleanup per entry against a sweep once per GC cycle: insert cost, bytes per entry, cycles until entries are gone",
		Explanation: `A weak map must notice when a value dies. With the Cleanup strategy every
Put registers a runtime cleanup that removes its entry soon after the value
is collected: entries go promptly, but each insert pays for the cleanup and
each entry carries it. With the Sweep strategy there is no per-entry cleanup;
a sweep once per GC cycle drops dead entries: cheaper inserts and smaller
entries, at the price of Len counting dead entries until the sweep runs.
Either way the map gives its table back once its entries fall well below
their peak; what the cleanup variant still retains afterwards is the
runtime's own record of the cleanups it ran, which the sweep variant never
registered.`,
		Defaults: Params{Objects: 20_000, Size: 64},
		Variants: []scenario.Variant{
			intMap("cleanup", "cache.WeakValues(Cleanup)", func(Params) scenario.MapHolder[int, object] {
				return cache.NewWeakValues[int, object](cache.WithStrategy(cache.Cleanup))
			}).Store(),
			func() scenario.Variant {
				v := intMap("sweep", "cache.WeakValues(Sweep)", func(Params) scenario.MapHolder[int, object] {
					return cache.NewWeakValues[int, object](cache.WithStrategy(cache.Sweep))
				})
				v.Volatile = []string{report.CyclesToRelease} // the sweep runs on its own goroutine after a cycle
				return v.Store()
			}(), // the sweep runs on its own goroutine after a cycle
		},
		Expectations: []scenario.Expectation{
			{Text: "both strategies end with no entries", Check: scenario.AllOf(scenario.Equals("cleanup", report.Entries, scenario.Const(0)),
				scenario.Equals("sweep", report.Entries, scenario.Const(0)))},
			{Text: "the sweep variant gives its table back: once every value died it retains at most 64 KiB", Check: scenario.AtMost("sweep", report.RetainedBytes, scenario.Const(64<<10))},
			{Text: "a sweep holds fewer bytes per entry than a cleanup per entry (judged from 1000 entries up)", Check: func(m scenario.Measured, p Params) (bool, string) {
				if p.Objects < 1000 {
					return true, fmt.Sprintf("not judged: %d entries are too few for a per-entry figure", p.Objects)
				}
				return scenario.Less("sweep", "cleanup", "bytes_per_entry")(m, p)
			}},
		},
	}
}
