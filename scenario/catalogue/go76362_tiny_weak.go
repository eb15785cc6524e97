package catalogue

import (
	"fmt"
	"reflect"
	"runtime"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// tinyWeak is the go76362-tiny-weak scenario.
func tinyWeak() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "go76362-tiny-weak",
		Description: "golang/go#76362: weak pointers to dropped 8-byte pointer-free objects were never cleared (go1.25); measured cleared on go1.26.8 and go1.27.3, unless a kept neighbour shares the block",
		Explanation: `Reported as golang/go#76362 (https://github.com/golang/go/issues/76362,
go1.25.0, linux/amd64): in a program that only calls weak.Make on new
8-byte pointer-free values ([8]byte) and drops them, the values are never
collected. Such values come from the tiny allocator, which packs
pointer-free allocations under 16 bytes into shared 16-byte blocks. The
runtime's own sources name the mechanism (go.dev/issue/76007): weak.Make
allocates an 8-byte handle for its object, itself pointer-free, so it was
tiny-allocated too, often into the object's own block; and the runtime
keeps that handle alive for as long as the object carries it, so the
block, and the object in it, never died. go1.26.8 and go1.27.3 give the
handle a 16-byte block of its own (runtime/mheap.go, getOrAddWeakHandle).

Each variant makes a weak pointer to each object; entries counts those not
yet cleared. tiny-8B is the report's program (every object dropped),
pointer-32B the same with objects that have a pointer field (never
tiny-allocated). Measured on go1.26.8 and go1.27.3: both clear every weak
pointer in the first GC cycle after the release. What the fix leaves as it
was is the batching the runtime documents: in tiny-8B-neighbour-kept the
callers keep every other object, and a dropped one that shares its block
with a kept one stays alive, its weak pointer non-nil (all but 1 of 5,000
on both releases). A -race build disables the tiny allocator, and there
every dropped object is collected.`,
		Defaults: Params{Objects: 10_000, Size: 8},
		Variants: []scenario.Variant{
			{Name: "tiny-8B", Holder: "weak.Pointer[[8]byte]", New: func(p Params) scenario.Subject {
				return &tinyWeakSubject[[8]byte]{p: p, newObj: func(i int) *[8]byte { return &[8]byte{byte(i)} }}
			}},
			{Name: "pointer-32B", Holder: "weak.Pointer[pointerObject]", New: func(p Params) scenario.Subject {
				return &tinyWeakSubject[pointerObject]{p: p, newObj: func(i int) *pointerObject { return &pointerObject{a: uint64(i)} }}
			}},
			{Name: "tiny-8B-neighbour-kept", Holder: "weak.Pointer[[8]byte]", New: func(p Params) scenario.Subject {
				return &tinyWeakSubject[[8]byte]{p: p, keepEvery: 2, newObj: func(i int) *[8]byte { return &[8]byte{byte(i)} }}
			}},
		},
		Expectations: []scenario.Expectation{
			{Text: "every weak pointer to a dropped 8-byte object is cleared (the leak reported for go1.25 is gone)", Check: allCleared("tiny-8B")},
			{Text: "every weak pointer to a dropped object with a pointer field is cleared", Check: allCleared("pointer-32B")},
			neighbourKeptExpectation(),
		},
	}
}

// neighbourKeptExpectation bounds tiny-8B-neighbour-kept: the kept half
// stays, and so does nearly every dropped object beside a kept one.
func neighbourKeptExpectation() scenario.Expectation {
	half := scenario.ObjectCount.Scaled(0.5)
	if raceEnabled {
		return scenario.Expectation{
			Text:  "in a -race build, which disables the tiny allocator, only the kept half's weak pointers remain",
			Check: scenario.Equals("tiny-8B-neighbour-kept", report.Entries, half),
		}
	}
	return scenario.Expectation{
		Text: "with every other object kept, at most 10% of the dropped ones' weak pointers (plus 2, for the blocks at either end) are cleared: their kept neighbours pin the shared blocks",
		Check: scenario.AtLeast("tiny-8B-neighbour-kept", report.Entries, func(p Params) float64 {
			return scenario.ObjectCount(p) - 0.1*half(p) - 2
		}),
	}
}

// tinyWeakSubject makes one object at a time and a weak pointer to it,
// then drops the objects: all of them, or all but every keepEvery-th.
type tinyWeakSubject[T any] struct {
	p         Params
	keepEvery int
	newObj    func(i int) *T
	weakList[T]
	scenario.WitnessList
	refs []*T
}

func (s *tinyWeakSubject[T]) Populate() {
	s.refs = make([]*T, s.p.Objects)
	for i := range s.refs {
		o := s.newObj(i)
		s.add(o)
		s.refs[i] = o
	}
}

func (s *tinyWeakSubject[T]) Release() {
	for i := range s.refs {
		if s.keepEvery > 0 && i%s.keepEvery == 0 {
			continue
		}
		if s.Wants() {
			w := scenario.Watch(s.refs[i])
			if s.keepEvery > 0 {
				w.Note = "in a 16 B tiny block it shares with a kept object"
			}
			s.Add(w)
		}
		s.refs[i] = nil
	}
	if s.keepEvery == 0 {
		s.refs = nil
	}
}

// Labels names the slice of kept objects, for retention paths.
func (s *tinyWeakSubject[T]) Labels() map[uintptr]string {
	l := map[uintptr]string{}
	if len(s.refs) > 0 {
		l[reflect.ValueOf(s.refs).Pointer()] = fmt.Sprintf("the subject's %T", s.refs)
	}
	return l
}

func (s *tinyWeakSubject[T]) Measure(map[string]float64) { runtime.KeepAlive(s.refs) }
