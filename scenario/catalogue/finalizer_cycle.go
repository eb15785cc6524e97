package catalogue

import (
	"github.com/weakscope/weakscope/scenario"
	"runtime"

	"github.com/weakscope/weakscope/report"
)

// finalizerCycle is the finalizer-cycle scenario.
func finalizerCycle() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "finalizer-cycle",
		Description: "pairs of objects that point to each other, with a finalizer against a cleanup; and a chain of finalizers",
		Explanation: `A finalizer receives its object, so the collector must keep everything the
object reaches alive until the finalizer has run — and if the object is part
of a cycle, the finalizer's object is reachable from itself and the cycle is
never collected: runtime.SetFinalizer's documentation says so. A cleanup
(runtime.AddCleanup) receives a separate argument, never the object, so
cycles with cleanups are collected normally. A chain of k objects with
finalizers needs k GC cycles: each finalizer keeps the rest of the chain
alive until it has run.`,
		Defaults: Params{Objects: 5_000, Size: 64, Extra: map[string]float64{"chain": 4}},
		Variants: []scenario.Variant{
			{Name: "finalizer", Holder: "runtime.SetFinalizer", New: func(p Params) scenario.Subject { return &cycleSubject{p: p, mode: "finalizer"} }},
			{Name: "cleanup", Holder: "runtime.AddCleanup", New: func(p Params) scenario.Subject { return &cycleSubject{p: p, mode: "cleanup"} }},
			{Name: "finalizer-chain", Holder: "runtime.SetFinalizer", New: func(p Params) scenario.Subject { return &cycleSubject{p: p, mode: "chain"} }},
		},
		Expectations: []scenario.Expectation{
			{Text: "no finalizer on a cycle ever runs", Check: scenario.Equals("finalizer", report.CleanupsRun, scenario.Const(0))},
			{Text: "cycles with a finalizer are never collected (≥ 90% of what was held is retained)", Check: func(m scenario.Measured, p Params) (bool, string) {
				return scenario.AtLeast("finalizer", report.RetainedBytes, func(Params) float64 { return 0.9 * m.Get("finalizer", "held_bytes") })(m, p)
			}},
			{Text: "every cleanup on a cycle runs", Check: scenario.Equals("cleanup", report.CleanupsRun, scenario.ObjectCount)},
			{Text: "a chain of k finalizers takes at least k GC cycles to release (exactly k when only weakscope's cycles run)", Check: scenario.AllOf(scenario.AtLeast("finalizer-chain", report.CyclesToRelease, func(p Params) float64 { return p.ExtraOr("chain", 4) }),
				scenario.Equals("finalizer-chain", report.Entries, scenario.Const(0)))},
		},
	}
}

type cycleSubject struct {
	p    Params
	mode string
	counted
	scenario.WitnessList
	heads []*object
}

func (s *cycleSubject) Populate() {
	bump := func(c *counted) { c.ran.Add(1) }
	switch s.mode {
	case "chain":
		k := int(s.p.ExtraOr("chain", 4))
		chains := max(s.p.Objects/k, 1)
		s.total.Store(int64(chains * k))
		for range chains {
			var head *object
			for j := range k {
				o := newObject(j, s.p.Size)
				o.next = head
				runtime.SetFinalizer(o, func(*object) { s.ran.Add(1) })
				head = o
			}
			s.heads = append(s.heads, head)
		}
	default:
		s.total.Store(int64(s.p.Objects))
		for i := range s.p.Objects {
			a, b := newObject(i, s.p.Size), newObject(i, s.p.Size)
			a.next, b.next = b, a
			if s.mode == "finalizer" {
				runtime.SetFinalizer(a, func(*object) { s.ran.Add(1) })
			} else {
				runtime.AddCleanup(a, bump, &s.counted)
			}
			s.heads = append(s.heads, a)
		}
	}
}

func (s *cycleSubject) Release() {
	for _, h := range s.heads[:min(scenario.MaxWitnesses, len(s.heads))] {
		if s.Wants() {
			s.Add(scenario.Watch(h))
		}
	}
	clear(s.heads)
	s.heads = nil
}

func (s *cycleSubject) Measure(m map[string]float64) { s.measureRan(m) }
