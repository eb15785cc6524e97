package catalogue

import (
	"fmt"
	"github.com/weakscope/weakscope/scenario"

	"github.com/weakscope/weakscope/report"
)

// datasetCache is the dataset-cache scenario.
func datasetCache() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "dataset-cache",
		Description: "a weak-value map of datasets whose callers keep a fraction: exactly that many entries remain",
		Explanation: `Dropping one dataset removes only its own entry: a weak-value map tracks
each value separately, so the entries whose datasets are still in use stay,
with the same pointers, and the rest go. The strong map keeps every dataset,
used or not.`,
		Defaults: Params{Objects: 10_000, Size: 1024, Keep: 0.5},
		Variants: strongAndWeakMaps(),
		Expectations: []scenario.Expectation{
			{Text: "strong keeps every dataset's entry", Check: scenario.Equals("strong", report.Entries, scenario.ObjectCount)},
			{Text: "weak entries == objects × keep", Check: scenario.Equals("weak", report.Entries, scenario.KeptCount)},
			{Text: "weak retains less memory than strong (judged for 100 datasets or more of 256 B or more: below that a weak map's cost per entry can exceed what releasing a dataset frees)", Check: func(m scenario.Measured, p Params) (bool, string) {
				if p.Size < 256 || p.Objects < 100 {
					return true, fmt.Sprintf("not judged: %d datasets of %d B", p.Objects, p.Size)
				}
				return scenario.Less("weak", "strong", report.RetainedBytes)(m, p)
			}},
		},
	}
}
