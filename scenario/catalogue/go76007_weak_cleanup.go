package catalogue

import (
	"runtime"
	"sync"
	"weak"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// weakCleanupTiny is the go76007-weak-cleanup-tiny scenario.
func weakCleanupTiny() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "go76007-weak-cleanup-tiny",
		Description: "golang/go#76007: a weak handle and a cleanup argument tiny-allocated into their 8-byte value's block kept it alive (go1.26 development build); measured no leak on go1.26.8 and go1.27.3",
		Explanation: `Reported as golang/go#76007 (https://github.com/golang/go/issues/76007,
on a go1.26 development build, linux/amd64): a program that made weak
pointers to small values and registered cleanups on them leaked. As the
runtime team explained in the thread, two of the runtime's own
allocations could land in a small pointer-free value's 16-byte tiny
block: the weak handle weak.Make allocates, and the storage AddCleanup
allocates for the cleanup's argument (internally, a closure over the
function and the argument). The runtime keeps both alive while the value
carries them (the argument's storage acts as a GC root), so the value was
never collected, its weak pointer never cleared and its cleanup never
ran. Both halves were fixed: go1.26.8 and go1.27.3 give the weak handle a
16-byte block of its own (runtime/mheap.go) and store a small
pointer-free argument in a 16-byte allocation, which the tiny allocator
never takes (runtime/mcleanup.go).

The holder here is the common shape of such code, our choice: a map of
weak pointers whose entries a cleanup per value deletes, the cleanup's
argument being the int key. The callers drop every value. tiny-value
stores 8-byte pointer-free values, the case of the report; pointer-value
stores values with a pointer field, which are never tiny-allocated.
Measured on go1.26.8 and go1.27.3: in both, every cleanup runs in the
first GC cycle after the release and the map ends empty.`,
		Defaults: Params{Objects: 10_000, Size: 8},
		Variants: []scenario.Variant{
			scenario.Map[int, [1]uint64]{Name: "tiny-value", Holder: "weakIndex[[1]uint64]",
				New:   func(Params) scenario.MapHolder[int, [1]uint64] { return newWeakIndex[[1]uint64]() },
				Key:   intKey,
				Value: func(i int, _ Params) *[1]uint64 { return &[1]uint64{uint64(i)} },
			}.Store(),
			scenario.Map[int, pointerObject]{Name: "pointer-value", Holder: "weakIndex[pointerObject]",
				New:   func(Params) scenario.MapHolder[int, pointerObject] { return newWeakIndex[pointerObject]() },
				Key:   intKey,
				Value: func(i int, _ Params) *pointerObject { return &pointerObject{a: uint64(i)} },
			}.Store(),
		},
		Expectations: []scenario.Expectation{
			{Text: "every 8-byte value is collected: its cleanup runs and its key is deleted (the leak reported on the go1.26 development build is gone)", Check: scenario.AllOf(
				scenario.Equals("tiny-value", report.CleanupsRun, scenario.DroppedCount),
				scenario.Equals("tiny-value", report.Entries, scenario.KeptCount))},
			{Text: "every value with a pointer field is collected the same way", Check: scenario.AllOf(
				scenario.Equals("pointer-value", report.CleanupsRun, scenario.DroppedCount),
				scenario.Equals("pointer-value", report.Entries, scenario.KeptCount))},
		},
	}
}

// weakIndex is the shape of the report's holder: a map of weak pointers
// whose entries a cleanup per value deletes, the cleanup's argument being
// the key. It is safe for concurrent use.
type weakIndex[V any] struct {
	mu     sync.Mutex
	m      map[int]weak.Pointer[V]
	forget func(k int)
}

func newWeakIndex[V any]() *weakIndex[V] {
	w := &weakIndex[V]{m: map[int]weak.Pointer[V]{}}
	// One closure for every entry, made once: it holds w, which is never
	// tiny-allocated, and nothing of the values.
	w.forget = func(k int) {
		w.mu.Lock()
		// A newer value under the same key has a weak pointer that is
		// not yet cleared: only a cleared one is the dead entry.
		if wp, ok := w.m[k]; ok && wp.Value() == nil {
			delete(w.m, k)
		}
		w.mu.Unlock()
	}
	return w
}

// Put stores a weak pointer to v under k, and registers the cleanup that
// deletes it once v is collected.
func (w *weakIndex[V]) Put(k int, v *V) {
	wp := weak.Make(v)
	w.mu.Lock()
	w.m[k] = wp
	w.mu.Unlock()
	runtime.AddCleanup(v, w.forget, k)
}

// Get returns the value under k while it is alive.
func (w *weakIndex[V]) Get(k int) (*V, bool) {
	w.mu.Lock()
	wp, ok := w.m[k]
	w.mu.Unlock()
	if v := wp.Value(); ok && v != nil {
		return v, true
	}
	return nil, false
}

// Len is the number of keys not yet deleted by a cleanup.
func (w *weakIndex[V]) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.m)
}
