package cache

import (
	"iter"
	"runtime"
)

// WeakSet is a set of objects, identified by their address, that it holds
// weakly: an element stays in the set as long as it is reachable from
// outside it. It suits registries, such as a set of listeners that should
// not be kept alive by being registered, like Python's WeakSet.
//
// Elements the collector cannot track are never released: a pointer-free
// element of 16 bytes or less may share a memory block with other small
// objects (the tiny allocator) and then lives as long as any of them; an
// element placed by the linker, such as a package-level variable, lives
// forever; and every zero-size element has the same address, so all of
// them are one element, which is never released. Adding them never panics.
// A set whose element type is zero-size uses the Sweep strategy whatever it
// was given. nil is never an element.
//
// Elements are found by their address and confirmed by the weak pointer
// stored with them, so Contains, Remove and adding an element already in
// the set make no weak pointer; an object that the collector has placed at
// the address of a dead element is a different element.
//
// Create one with [NewWeakSet]; the zero value is not usable. A WeakSet is
// safe for concurrent use, and dropping it releases its internals even
// while its elements are still alive elsewhere.
type WeakSet[T any] struct {
	c *wkCore[T, struct{}]
}

// NewWeakSet returns an empty WeakSet. The default strategy is [Cleanup];
// see [WithStrategy].
func NewWeakSet[T any](opts ...Option) *WeakSet[T] {
	s := &WeakSet[T]{}
	s.c = newWKCore[T, struct{}](s, opts)
	return s
}

// Add adds x to the set; adding an element twice leaves one. Add(nil) does
// nothing.
func (s *WeakSet[T]) Add(x *T) {
	s.c.put(x, struct{}{})
	runtime.KeepAlive(s)
}

// Remove removes x and reports whether it was in the set.
func (s *WeakSet[T]) Remove(x *T) bool { return s.c.remove(x) }

// Contains reports whether x is in the set.
func (s *WeakSet[T]) Contains(x *T) bool {
	_, ok := s.c.get(x)
	return ok
}

// AwaitSweep makes sure that, under [Sweep], the set has been swept since
// the latest completed GC cycle; see [WeakValues.AwaitSweep].
func (s *WeakSet[T]) AwaitSweep() { s.c.awaitSweep() }

// Len returns the number of elements. Under [Cleanup] it may briefly count
// an element that was collected but whose cleanup has not run yet; under
// [Sweep] it counts such elements until the next sweep.
func (s *WeakSet[T]) Len() int { return s.c.len() }

// All yields every live element, each once and never nil. It iterates over
// a snapshot taken when the loop starts and holds no lock while the loop
// body runs, so the body may add or remove elements: elements added
// meanwhile are not yielded, an element removed meanwhile is still yielded
// while it is alive, and one collected during the loop is skipped. The
// snapshot holds the elements weakly.
func (s *WeakSet[T]) All() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		snap := s.c.snapshot()
		defer s.c.snaps.put(snap)
		for _, it := range *snap {
			if x := it.k.Value(); x != nil && !yield(x) {
				return
			}
		}
	}
}

// Stats returns the set's counters: Add counts as a put and Contains as a
// lookup.
func (s *WeakSet[T]) Stats() Stats { return s.c.stats() }
