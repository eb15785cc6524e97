package scenario

import (
	"iter"

	"github.com/weakscope/weakscope/scenario/cache"
)

func init() {
	register(&Scenario{
		Name:        "listener-registry",
		Description: "an event registry whose owners drop half the listeners: a strong set keeps notifying them, a weak set does not",
		Explanation: `The lapsed-listener leak: a registry that holds its listeners strongly keeps
every listener alive after its owner is done with it, and goes on delivering
events to it. A weak set (Python's WeakSet) registers listeners without
owning them: once the owner drops one and a GC cycle runs, the registry
forgets it. Events go only to the living.`,
		Defaults: Params{Objects: 10_000, Size: 256, Keep: 0.5},
		Variants: []Variant{
			{Name: "strong", Holder: "cache.StrongSet", New: func(p Params) Subject {
				return &registrySubject{p: p, set: cache.NewStrongSet[object]()}
			}},
			{Name: "weak", Holder: "cache.WeakSet", New: func(p Params) Subject {
				return &registrySubject{p: p, set: cache.NewWeakSet[object]()}
			}},
		},
		Expectations: []Expectation{
			{Text: "strong delivers each event to every listener, lapsed ones included", Check: metricEquals("strong", "deliveries_per_event", objectsOf)},
			{Text: "weak delivers each event only to the listeners still owned", Check: metricEquals("weak", "deliveries_per_event", keptOf)},
			{Text: "weak delivers nothing to lapsed listeners", Check: metricEquals("weak", "lapsed_deliveries", zero)},
		},
	})
}

// listenerSet is what the scenario needs of a set of listeners.
type listenerSet interface {
	Add(*object)
	Len() int
	All() iter.Seq[*object]
}

type registrySubject struct {
	p   Params
	set listenerSet
	keeper
}

func (s *registrySubject) Populate() {
	for i := range s.p.Objects {
		l := newObject(i, s.p.Size)
		s.set.Add(l)
		s.refs = append(s.refs, l)
	}
}

func (s *registrySubject) Release() { s.release(s.p.Keep) }
func (s *registrySubject) Len() int { return s.set.Len() }

// Labels names the set, for retention paths.
func (s *registrySubject) Labels() map[uintptr]string { return labelOf(map[uintptr]string{}, s.set) }

// Measure emits one event. A listener's id tells whether its owner kept it:
// the owners keep the first Keep fraction.
func (s *registrySubject) Measure(m map[string]float64) {
	owned := kept(s.p.Objects, s.p.Keep)
	deliveries, lapsed := 0, 0
	for l := range s.set.All() {
		l.next = l // "handle" the event: touch the listener
		l.next = nil
		deliveries++
		if l.id >= owned {
			lapsed++
		}
	}
	m["deliveries_per_event"] = float64(deliveries)
	m["lapsed_deliveries"] = float64(lapsed)
}
