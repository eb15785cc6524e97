package catalogue

import (
	"github.com/weakscope/weakscope/scenario"
	"runtime"
	"sync"
	"weak"

	"github.com/weakscope/weakscope/report"
)

// weakRef is the weak-ref scenario.
func weakRef() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "weak-ref",
		Description: "a single weak pointer: non-nil while the object is held, nil after the last strong reference is dropped",
		Explanation: `weak.Pointer is Go's weakref.ref. Value returns the object while something
else holds it and nil once the collector has found it unreachable. Unlike
CPython, which frees an object the moment its reference count drops to zero,
Go clears a weak pointer only in a GC cycle: right after the last strong
reference is dropped, Value still returns the object. One cycle is enough
for an object with a pointer field and no finalizer.`,
		Defaults: Params{Objects: 1, Size: 64},
		Variants: []scenario.Variant{
			{Name: "held", Holder: "weak.Pointer", New: func(p Params) scenario.Subject { return &weakRefSubject{p: p, hold: true} }},
			{Name: "dropped", Holder: "weak.Pointer", New: func(p Params) scenario.Subject { return &weakRefSubject{p: p} }},
		},
		Expectations: []scenario.Expectation{
			{Text: "the weak pointers of held objects stay non-nil", Check: scenario.Equals("held", report.Entries, scenario.ObjectCount)},
			{Text: "the weak pointers of dropped objects are nil after settling", Check: scenario.Equals("dropped", report.Entries, scenario.Const(0))},
			{Text: "the first GC cycle that starts after the drop clears them: 1 cycle, or 2 if one was already under way (plus the automatic cycles that ran meanwhile: under a tight GOMEMLIMIT the collector runs back to back and the runner cannot look after every cycle)", Check: func(m scenario.Measured, p Params) (bool, string) {
				auto := m.Get("dropped", "automatic_cycles")
				return scenario.AllOf(
					scenario.AtLeast("dropped", report.CyclesToRelease, scenario.Const(1)),
					scenario.AtMost("dropped", report.CyclesToRelease, scenario.Const(2+auto)))(m, p)
			}},
		},
	}
}

type weakRefSubject struct {
	p    Params
	hold bool
	keeper

	mu   sync.Mutex // Len runs on the sampler's goroutine
	ptrs []weak.Pointer[object]
}

func (s *weakRefSubject) Populate() {
	for i := range s.p.Objects {
		o := newObject(i, s.p.Size)
		s.refs = append(s.refs, o)
		s.mu.Lock()
		s.ptrs = append(s.ptrs, weak.Make(o))
		s.mu.Unlock()
	}
}

func (s *weakRefSubject) Release() {
	if !s.hold {
		s.release(0)
	}
}

// Len counts the weak pointers that still return their object.
func (s *weakRefSubject) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.ptrs {
		if p.Value() != nil {
			n++
		}
	}
	return n
}

func (s *weakRefSubject) Measure(map[string]float64) { runtime.KeepAlive(s.refs) }
