package scenario

import (
	"fmt"
	"time"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario/cache"
)

func init() {
	register(&Scenario{
		Name:        "map-strategy",
		Description: "cache.WeakValues with a cleanup per entry against a sweep once per GC cycle: insert cost, bytes per entry, cycles until entries are gone",
		Explanation: `A weak map must notice when a value dies. With the Cleanup strategy every
Put registers a runtime cleanup that removes its entry soon after the value
is collected: entries go promptly, but each insert pays for the cleanup and
each entry carries it. With the Sweep strategy there is no per-entry cleanup;
a sweep once per GC cycle drops dead entries: cheaper inserts and smaller
entries, at the price of Len counting dead entries until the sweep runs.`,
		Defaults: Params{Objects: 20_000, Size: 64},
		Variants: []Variant{
			{Name: "cleanup", Holder: "cache.WeakValues(Cleanup)", New: func(p Params) Subject {
				return &strategySubject{mapSubject: mapSubject{p: p, m: cache.NewWeakValues[int, object](cache.WithStrategy(cache.Cleanup))}}
			}},
			{Name: "sweep", Holder: "cache.WeakValues(Sweep)", New: func(p Params) Subject {
				return &strategySubject{mapSubject: mapSubject{p: p, m: cache.NewWeakValues[int, object](cache.WithStrategy(cache.Sweep))}}
			}, Volatile: []string{report.CyclesToRelease}}, // the sweep runs on its own goroutine after a cycle
		},
		Expectations: []Expectation{
			{Text: "both strategies end with no entries", Check: all(
				metricEquals("cleanup", report.Entries, zero),
				metricEquals("sweep", report.Entries, zero))},
			{Text: "a sweep holds fewer bytes per entry than a cleanup per entry (judged from 1000 entries up)", Check: func(m Measured, p Params) (bool, string) {
				if p.Objects < 1000 {
					return true, fmt.Sprintf("not judged: %d entries are too few for a per-entry figure", p.Objects)
				}
				return less("sweep", "cleanup", "bytes_per_entry")(m, p)
			}},
		},
	})
}

type strategySubject struct {
	mapSubject
	put time.Duration
}

func (s *strategySubject) Populate() {
	start := time.Now()
	s.mapSubject.Populate()
	s.put = time.Since(start)
}

func (s *strategySubject) Measure(m map[string]float64) {
	n := float64(max(s.p.Objects, 1))
	m["put_ns"] = float64(s.put.Nanoseconds()) / n
	m["bytes_per_entry"] = m["held_bytes"] / n
}
