package catalogue

import (
	"fmt"
	"github.com/weakscope/weakscope/scenario"
	"reflect"
	"runtime"

	"github.com/weakscope/weakscope/report"
)

// tinyObjects is the tiny-objects scenario.
func tinyObjects() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "tiny-objects",
		Description: "8-byte pointer-free objects against 32-byte objects with a pointer: the tiny allocator batches the small ones",
		Explanation: `The runtime packs pointer-free allocations under 16 bytes into shared 16-byte
blocks (the tiny allocator), and a block is freed only when everything in it
is dead. Here the callers keep every other object: the 32-byte objects with a
pointer field are separate allocations, so each dropped one is collected and
its cleanup runs; a dropped 8-byte object usually shares its block with a
kept neighbour, so it is never collected and its cleanup never runs. The
runtime documents this (runtime.AddCleanup: cleanups on tiny objects may
never run) and promises no number, so the expectation is a bound.`,
		Defaults: Params{Objects: 10_000, Size: 8, Keep: 0.5},
		Variants: []scenario.Variant{
			{Name: "tiny-8B", Holder: "*[1]uint64", New: func(p Params) scenario.Subject { return &tinySubject{p: p, tiny: true} }},
			{Name: "pointer-32B", Holder: "*pointerObject", New: func(p Params) scenario.Subject { return &tinySubject{p: p} }},
		},
		Expectations: []scenario.Expectation{
			{Text: "every dropped 32-byte object with a pointer is collected and its cleanup runs", Check: scenario.Equals("pointer-32B", report.CleanupsRun, scenario.DroppedCount)},
			tinyExpectation(),
		},
	}
}

// tinyExpectation is the bound for the 8-byte objects. A -race build
// disables the tiny allocator (the race detector needs every object on its
// own), so there every dropped object is collected like any other.
func tinyExpectation() scenario.Expectation {
	if raceEnabled {
		return scenario.Expectation{
			Text:  "in a -race build, which disables the tiny allocator, every dropped 8-byte object is collected",
			Check: scenario.Equals("tiny-8B", report.CleanupsRun, scenario.DroppedCount),
		}
	}
	return scenario.Expectation{
		Text:  "at most 10% of the dropped 8-byte objects (plus 2 for the blocks at either end) are collected: their kept neighbours pin the shared blocks",
		Check: scenario.AtMost("tiny-8B", report.CleanupsRun, func(p Params) float64 { return 0.1*scenario.DroppedCount(p) + 2 }),
	}
}

// pointerObject is 32 bytes with a pointer field: never tiny-allocated.
type pointerObject struct {
	_ *pointerObject
	a uint64
	_ [2]uint64
}

type tinySubject struct {
	p    Params
	tiny bool
	counted
	scenario.WitnessList
	tinies   []*[1]uint64
	pointers []*pointerObject
}

func (s *tinySubject) Populate() {
	s.total.Store(int64(s.p.Objects))
	for i := range s.p.Objects {
		if s.tiny {
			o := new([1]uint64)
			o[0] = uint64(i)
			runtime.AddCleanup(o, func(c *counted) { c.ran.Add(1) }, &s.counted)
			s.tinies = append(s.tinies, o)
		} else {
			o := &pointerObject{a: uint64(i)}
			runtime.AddCleanup(o, func(c *counted) { c.ran.Add(1) }, &s.counted)
			s.pointers = append(s.pointers, o)
		}
	}
}

// Release drops every other object, so each dropped one sits next to a kept
// one in memory.
func (s *tinySubject) Release() {
	keepEvery := 2
	if s.p.Keep <= 0 {
		keepEvery = 0
	}
	for i := range s.p.Objects {
		if keepEvery > 0 && i%keepEvery == 0 {
			continue
		}
		if s.tiny {
			if s.Wants() {
				w := scenario.Watch(s.tinies[i])
				w.Note = "in a 16 B tiny block it shares with a kept object"
				s.Add(w)
			}
			s.tinies[i] = nil
		} else {
			if s.Wants() {
				s.Add(scenario.Watch(s.pointers[i]))
			}
			s.pointers[i] = nil
		}
	}
}

// Labels names the slices of kept objects, for retention paths.
func (s *tinySubject) Labels() map[uintptr]string {
	l := map[uintptr]string{}
	for _, x := range []any{s.tinies, s.pointers} {
		if v := reflect.ValueOf(x); v.Len() > 0 {
			l[v.Pointer()] = fmt.Sprintf("the subject's %T", x)
		}
	}
	return l
}

func (s *tinySubject) Measure(m map[string]float64) {
	s.measureRan(m)
	runtime.KeepAlive(s.tinies)
	runtime.KeepAlive(s.pointers)
}
