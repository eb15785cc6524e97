package catalogue

import (
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// reportCache is the report-cache scenario.
func reportCache() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "report-cache",
		Description: "a cache of reports whose callers drop every report: strong keeps them all, a weak-value map lets them go",
		Explanation: `The textbook case for weak references. A cache that holds its values
strongly keeps every report alive for as long as the cache lives, even after
every caller has dropped it: the cache, not the program, decides the memory.
A weak-value map (Python's WeakValueDictionary) holds the same reports
without keeping them alive: once the callers drop a report, the next GC cycle
collects it and its entry goes away. In Go that needs weak.Pointer plus a
cleanup or a sweep; nothing happens until a GC cycle runs. What the weak map
still retains afterwards is its own hash table: deleting entries from a Go
map never shrinks it.`,
		Defaults: Params{Objects: 10_000, Size: 1024},
		Variants: strongAndWeakMaps(),
		Expectations: []scenario.Expectation{
			{Text: "strong keeps an entry for every report", Check: scenario.Equals("strong", report.Entries, scenario.ObjectCount)},
			{Text: "weak keeps no entry once the reports are dropped", Check: scenario.Equals("weak", report.Entries, scenario.Const(0))},
			{Text: "strong retains at least the reports' bodies (objects × size)", Check: scenario.AtLeast("strong", report.RetainedBytes, func(p Params) float64 { return float64(p.Objects * p.Size) })},
			{Text: "weak retains none of the reports: at most 1% of them in objects, plus 100 for bookkeeping", Check: scenario.AtMost("weak", report.RetainedObjects, func(p Params) float64 { return 0.01*float64(p.Objects) + 100 })},
			{Text: "what weak still retains is its own table, which a Go map never shrinks: at most 128 bytes per report stored, plus 64 KiB", Check: scenario.AtMost("weak", report.RetainedBytes, func(p Params) float64 { return 128*float64(p.Objects) + 64<<10 })},
		},
	}
}
