package catalogue

import (
	"github.com/weakscope/weakscope/scenario"
	"runtime"
	"weak"

	"github.com/weakscope/weakscope/report"
)

// captureLeak is the capture-leak scenario.
func captureLeak() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "capture-leak",
		Description: "a cleanup whose argument reaches its object (never collected) against one whose argument does not",
		Explanation: `runtime.AddCleanup panics if the cleanup's argument is the object itself, but
it cannot see an argument that reaches the object indirectly — a struct or
closure holding a pointer to it. The runtime keeps every cleanup argument
alive, so such an object stays reachable from its own cleanup and is never
collected; the cleanup never runs. The correct form passes only what the
cleanup needs (an id, a file descriptor), never the object.`,
		Defaults: Params{Objects: 10_000, Size: 256},
		Variants: []scenario.Variant{
			{Name: "captures-object", Holder: "runtime.AddCleanup", New: func(p Params) scenario.Subject { return &captureSubject{p: p, leak: true} }},
			{Name: "correct", Holder: "runtime.AddCleanup", New: func(p Params) scenario.Subject { return &captureSubject{p: p} }},
		},
		Expectations: []scenario.Expectation{
			{Text: "a cleanup whose argument reaches its object never runs", Check: scenario.Equals("captures-object", report.CleanupsRun, scenario.Const(0))},
			{Text: "objects reachable from their own cleanup are never collected (≥ 90% of what was held is retained)", Check: func(m scenario.Measured, p Params) (bool, string) {
				return scenario.AtLeast("captures-object", report.RetainedBytes, func(Params) float64 { return 0.9 * m.Get("captures-object", "held_bytes") })(m, p)
			}},
			{Text: "every correct cleanup runs", Check: scenario.Equals("correct", report.CleanupsRun, scenario.ObjectCount)},
		},
	}
}

// resource is what a cleanup releases; in the leaking variant it also
// remembers its owner, which is the mistake.
type resource struct {
	id    int
	owner *object
	done  *counted
}

type captureSubject struct {
	p    Params
	leak bool
	counted
	keeper
	// resources are the cleanup arguments of the first objects, which the
	// keeper watches; held weakly, to label their retention paths.
	resources []weak.Pointer[resource]
}

func (s *captureSubject) Populate() {
	s.total.Store(int64(s.p.Objects))
	release := func(r *resource) { r.done.ran.Add(1) }
	for i := range s.p.Objects {
		o := newObject(i, s.p.Size)
		r := &resource{id: i, done: &s.counted}
		if s.leak {
			r.owner = o
		}
		runtime.AddCleanup(o, release, r)
		s.refs = append(s.refs, o)
		if s.Wants() && i < scenario.MaxWitnesses {
			s.resources = append(s.resources, weak.Make(r))
		}
	}
}

func (s *captureSubject) Release() { s.release(0) }

// Labels names the cleanup arguments of the watched objects.
func (s *captureSubject) Labels() map[uintptr]string {
	l := map[uintptr]string{}
	for _, wp := range s.resources {
		scenario.Label(l, wp.Value())
	}
	return l
}

func (s *captureSubject) Measure(m map[string]float64) { s.measureRan(m) }
