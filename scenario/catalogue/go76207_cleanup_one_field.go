package catalogue

import (
	"runtime"
	"unsafe"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// cleanupOneField is the go76207-cleanup-one-field scenario.
func cleanupOneField() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "go76207-cleanup-one-field",
		Description: "golang/go#76207: cleanups on structs with a single numeric field never ran (go1.25.3); measured all run on go1.26.8 and go1.27.3, but an argument in the object's tiny block still pins it",
		Explanation: `Reported as golang/go#76207 (https://github.com/golang/go/issues/76207,
go1.25.3, linux/amd64): a cleanup registered with runtime.AddCleanup on a
pointer to a struct with a single numeric field never ran. Such a struct is
pointer-free and at most 8 bytes, so the tiny allocator packs it into a
shared 16-byte block. The mechanism the runtime team described on
golang/go#76007 fits: AddCleanup stored the cleanup's argument in an
allocation of its own, which the collector treats as a root, and a small
pointer-free argument could be tiny-allocated into the object's own block,
keeping the object alive. go1.26.8 and go1.27.3 store such an argument in a
16-byte allocation, which the tiny allocator never takes
(runtime/mcleanup.go).

Every variant registers one cleanup per object and the callers drop every
object. int64-field and uint8-field are the report's case, here with an
int argument (the object's index); two-int64-fields is a 16-byte struct,
never tiny-allocated. Measured on go1.26.8 and go1.27.3: every cleanup
runs in all three, in the first GC cycle after the release. arg-in-block
does by hand what the runtime used to do: the argument is a pointer to an
8-byte value allocated right after the object, so it lands in the
object's block. AddCleanup accepts it (it refuses an argument that points
into the object's allocation, except in a tiny block, where the two may be
different objects), and then neither is ever collected: on both releases
no cleanup of the 10,000 runs. A -race build disables the tiny allocator,
and there every cleanup runs.`,
		Defaults: Params{Objects: 10_000, Size: 8},
		Variants: []scenario.Variant{
			{Name: "int64-field", Holder: "*struct{int64}", New: func(p Params) scenario.Subject {
				return &oneFieldSubject[int64Field]{p: p, newObj: func(i int) *int64Field { return &int64Field{n: int64(i)} }}
			}},
			{Name: "uint8-field", Holder: "*struct{uint8}", New: func(p Params) scenario.Subject {
				return &oneFieldSubject[uint8Field]{p: p, newObj: func(i int) *uint8Field { return &uint8Field{n: uint8(i)} }}
			}},
			{Name: "two-int64-fields", Holder: "*struct{int64; int64}", New: func(p Params) scenario.Subject {
				return &oneFieldSubject[twoFields]{p: p, newObj: func(i int) *twoFields { return &twoFields{a: int64(i)} }}
			}},
			{Name: "arg-in-block", Holder: "*struct{int64}", New: func(p Params) scenario.Subject {
				return &oneFieldSubject[int64Field]{p: p, argInBlock: true, newObj: func(i int) *int64Field { return &int64Field{n: int64(i)} }}
			}},
		},
		Expectations: []scenario.Expectation{
			{Text: "every cleanup on a dropped single-field struct runs, int64 or uint8 (the report's cleanups that never ran now do)", Check: scenario.AllOf(
				scenario.Equals("int64-field", report.CleanupsRun, scenario.ObjectCount),
				scenario.Equals("uint8-field", report.CleanupsRun, scenario.ObjectCount))},
			{Text: "every cleanup on a dropped 16-byte struct runs", Check: scenario.Equals("two-int64-fields", report.CleanupsRun, scenario.ObjectCount)},
			argInBlockExpectation(),
		},
	}
}

// argInBlockExpectation bounds arg-in-block: nearly no cleanup runs,
// except in a -race build, where nothing shares a block.
func argInBlockExpectation() scenario.Expectation {
	if raceEnabled {
		return scenario.Expectation{
			Text:  "in a -race build, which disables the tiny allocator, every cleanup whose argument was allocated after its object runs",
			Check: scenario.Equals("arg-in-block", report.CleanupsRun, scenario.ObjectCount),
		}
	}
	return scenario.Expectation{
		Text: "at most 10% (plus 2) of the cleanups whose argument shares the object's tiny block run: the argument, kept as a root, pins the block",
		Check: scenario.AtMost("arg-in-block", report.CleanupsRun, func(p Params) float64 {
			return 0.1*scenario.ObjectCount(p) + 2
		}),
	}
}

// The report's shape: a struct with one numeric field, pointer-free and at
// most 8 bytes; and a 16-byte one for comparison.
type (
	int64Field struct{ n int64 }
	uint8Field struct{ n uint8 }
	twoFields  struct{ a, _ int64 }
)

// blockTag is the argument of arg-in-block: 8 bytes, pointer-free, so that
// allocated right after an 8-byte object it fills the rest of that
// object's 16-byte tiny block, and the next object starts a new block.
type blockTag struct{ id int64 }

// tinySink keeps the allocation alignTiny makes on the heap.
var tinySink *int64

// alignTiny makes the next 8-byte pointer-free allocation start a new tiny
// block, so that each object and its blockTag share a block of their own.
// Were they to straddle blocks, each argument would pin the next object's
// block instead, and the chain would come undone one object per GC cycle.
// A GC cycle or a move to another P during Populate realigns the pairs:
// the tiny allocator starts every new block at its beginning.
func alignTiny() {
	tinySink = new(int64)
	if uintptr(unsafe.Pointer(tinySink))%16 == 0 {
		tinySink = new(int64) // the block's second half
	}
	tinySink = nil
}

// oneFieldSubject registers a cleanup on each object; the callers then drop
// them all.
type oneFieldSubject[T any] struct {
	p          Params
	argInBlock bool
	newObj     func(i int) *T
	counted
	scenario.WitnessList
	refs []*T
}

func (s *oneFieldSubject[T]) Populate() {
	s.total.Store(int64(s.p.Objects))
	s.refs = make([]*T, s.p.Objects)
	// The cleanups are closures over s, made once: s is never
	// tiny-allocated, so they point into no object's block.
	ran := func(int) { s.ran.Add(1) }
	ranTag := func(*blockTag) { s.ran.Add(1) }
	if s.argInBlock {
		alignTiny()
	}
	for i := range s.refs {
		o := s.newObj(i)
		if s.argInBlock {
			runtime.AddCleanup(o, ranTag, &blockTag{id: int64(i)})
		} else {
			runtime.AddCleanup(o, ran, i)
		}
		s.refs[i] = o
	}
}

func (s *oneFieldSubject[T]) Release() {
	for _, o := range s.refs {
		if !s.Wants() {
			break
		}
		w := scenario.Watch(o)
		if s.argInBlock {
			w.Note = "in a 16 B tiny block with its cleanup's argument"
		}
		s.Add(w)
	}
	s.refs = nil
}

func (s *oneFieldSubject[T]) Measure(m map[string]float64) { s.measureRan(m) }
