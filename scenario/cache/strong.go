package cache

import (
	"iter"
	"sync"
)

// Strong is the textbook cache: a map from keys to pointers behind a mutex.
// It keeps every value it holds alive until the value is deleted or the
// Strong itself is dropped, which is what a cache with a hit-rate goal needs
// and what weakscope's scenarios compare the weak containers against.
//
// It is deliberately the plain thing a Go developer writes first, a
// sync.Mutex and a map, because it is what the weak containers are
// measured against.
//
// Create one with [NewStrong]. A Strong is safe for concurrent use.
type Strong[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]*V
	snaps snapshots[strongItem[K, V]]
}

type strongItem[K comparable, V any] struct {
	k K
	v *V
}

// NewStrong returns an empty Strong.
func NewStrong[K comparable, V any]() *Strong[K, V] {
	return &Strong[K, V]{m: make(map[K]*V)}
}

// Put stores v under k, replacing any previous value. Put(k, nil) is the
// same as Delete(k), as in the weak containers, so that Get never reports
// ok with a nil value.
func (s *Strong[K, V]) Put(k K, v *V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v == nil {
		delete(s.m, k)
		return
	}
	s.m[k] = v
}

// Get returns the value stored under k.
func (s *Strong[K, V]) Get(k K) (v *V, ok bool) {
	s.mu.Lock()
	v, ok = s.m[k]
	s.mu.Unlock()
	return v, ok
}

// Delete removes the entry for k, if any.
func (s *Strong[K, V]) Delete(k K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
}

// Len returns the number of entries.
func (s *Strong[K, V]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// All yields every entry once. It iterates over a snapshot taken when the
// loop starts and holds no lock while the loop body runs, so the body may
// call any method of the container: entries added meanwhile are not
// yielded, and entries deleted meanwhile still are.
func (s *Strong[K, V]) All() iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		s.mu.Lock()
		snap := s.snaps.get(len(s.m))
		for k, v := range s.m {
			*snap = append(*snap, strongItem[K, V]{k, v})
		}
		s.mu.Unlock()
		defer s.snaps.put(snap)
		for _, it := range *snap {
			if !yield(it.k, it.v) {
				return
			}
		}
	}
}

// StrongSet is a set of pointers behind a lock. It keeps its elements alive
// until they are removed or the set itself is dropped: the registry that
// leaks its listeners.
//
// Create one with [NewStrongSet]. A StrongSet is safe for concurrent use.
type StrongSet[T any] struct {
	mu    sync.Mutex
	m     map[*T]struct{}
	snaps snapshots[*T]
}

// NewStrongSet returns an empty StrongSet.
func NewStrongSet[T any]() *StrongSet[T] {
	return &StrongSet[T]{m: make(map[*T]struct{})}
}

// Add adds x to the set; adding an element twice leaves one. Add(nil) does
// nothing, as in [WeakSet].
func (s *StrongSet[T]) Add(x *T) {
	if x == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[x] = struct{}{}
}

// Remove removes x and reports whether it was in the set.
func (s *StrongSet[T]) Remove(x *T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[x]
	delete(s.m, x)
	return ok
}

// Contains reports whether x is in the set.
func (s *StrongSet[T]) Contains(x *T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[x]
	return ok
}

// Len returns the number of elements.
func (s *StrongSet[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// All yields every element once, from a snapshot taken when the loop
// starts; the loop body may add or remove elements.
func (s *StrongSet[T]) All() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		s.mu.Lock()
		snap := s.snaps.get(len(s.m))
		for x := range s.m {
			*snap = append(*snap, x)
		}
		s.mu.Unlock()
		defer s.snaps.put(snap)
		for _, x := range *snap {
			if !yield(x) {
				return
			}
		}
	}
}
