package catalogue

import (
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
)

// weakKeys is the weak-keys scenario.
func weakKeys() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "weak-keys",
		Description: "a weak-key map whose values point back to their keys (never released) against one whose values don't",
		Explanation: `A weak-key map (Python's WeakKeyDictionary, Java's WeakHashMap) attaches data
to objects it does not own: when a key dies, its entry goes. But the map
holds its values strongly, so a value that points back at its own key keeps
the key alive, and the entry is never released. Languages with ephemerons
(JavaScript's WeakMap, .NET's ConditionalWeakTable) treat a value as
reachable only through its key; Go has no ephemerons, so in Go this is a
leak, exactly as in Java's WeakHashMap.`,
		Defaults: Params{Objects: 10_000, Size: 256},
		Variants: []scenario.Variant{
			{Name: "value-points-back", Holder: "cache.WeakKeys", New: func(p Params) scenario.Subject { return newWeakKeysSubject(p, true) }},
			{Name: "independent", Holder: "cache.WeakKeys", New: func(p Params) scenario.Subject { return newWeakKeysSubject(p, false) }},
		},
		Expectations: []scenario.Expectation{
			{Text: "entries whose value points back at the key are never released", Check: scenario.Equals("value-points-back", report.Entries, scenario.ObjectCount)},
			{Text: "entries with independent values are released when their keys die", Check: scenario.Equals("independent", report.Entries, scenario.Const(0))},
		},
	}
}

// annotation is the data a weak-key map attaches to a key.
type annotation struct {
	owner *object // the key, in the leaking variant
	note  []byte
}

type weakKeysSubject struct {
	p    Params
	back bool
	m    *cache.WeakKeys[object, *annotation]
	keeper
}

// newWeakKeysSubject makes the map up front: Len runs on the sampler's
// goroutine from the start.
func newWeakKeysSubject(p Params, back bool) *weakKeysSubject {
	return &weakKeysSubject{p: p, back: back, m: cache.NewWeakKeys[object, *annotation]()}
}

func (s *weakKeysSubject) Populate() {
	for i := range s.p.Objects {
		k := newObject(i, s.p.Size)
		a := &annotation{note: make([]byte, 64)}
		if s.back {
			a.owner = k
		}
		s.m.Put(k, a)
		s.refs = append(s.refs, k)
	}
}

func (s *weakKeysSubject) Release() { s.release(0) }

func (s *weakKeysSubject) Len() int { return s.m.Len() }

// Labels names the map and the annotations of the watched keys still in
// it, for the retention paths: a heap dump does not know small objects'
// types.
func (s *weakKeysSubject) Labels() map[uintptr]string {
	l := scenario.Label(map[uintptr]string{}, s.m)
	for _, w := range s.Witnesses() {
		if k, ok := w.Value().(*object); ok {
			if a, ok := s.m.Get(k); ok {
				scenario.Label(l, a)
			}
		}
	}
	return l
}
