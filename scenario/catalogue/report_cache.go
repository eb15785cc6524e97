package catalogue

import (
	"fmt"

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
cleanup or a sweep; nothing happens until a GC cycle runs. Deleting entries
from a Go map never shrinks it, so a weak map built on one would go on
retaining a table sized for every report it ever held; cache.WeakValues
rebuilds its table at the live size once the entries fall well below
their peak, and gives that memory back too.`,
		Defaults: Params{Objects: 10_000, Size: 1024},
		Variants: strongAndWeakMaps(),
		Expectations: []scenario.Expectation{
			{Text: "strong keeps an entry for every report", Check: scenario.Equals("strong", report.Entries, scenario.ObjectCount)},
			{Text: "weak keeps no entry once the reports are dropped", Check: scenario.Equals("weak", report.Entries, scenario.Const(0))},
			{Text: "strong retains at least the reports' bodies (objects × size)", Check: scenario.AtLeast("strong", report.RetainedBytes, func(p Params) float64 { return float64(p.Objects * p.Size) })},
			{Text: "weak retains none of the reports: at most 1% of them in objects, plus 100 for bookkeeping", Check: scenario.AtMost("weak", report.RetainedObjects, func(p Params) float64 { return 0.01*float64(p.Objects) + 100 })},
			{Text: "weak gives its table back: it retains at most 5% of what strong retains, plus 64 KiB", Check: func(m scenario.Measured, p Params) (bool, string) {
				w, s := m.Get("weak", report.RetainedBytes), m.Get("strong", report.RetainedBytes)
				limit := 0.05*s + 64<<10
				return w <= limit, fmt.Sprintf("weak %s = %s, limit %s (5%% of strong's %s, plus 64 KiB)", report.RetainedBytes,
					report.FormatMetric(report.RetainedBytes, w), report.FormatMetric(report.RetainedBytes, limit), report.FormatMetric(report.RetainedBytes, s))
			}},
		},
	}
}
