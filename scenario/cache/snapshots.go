package cache

import "sync"

// snapshots recycles the slices that All copies a container's entries
// into. A snapshot of 10,000 entries is 80 to 160 KiB; allocating one per
// iteration made iterating cost four to eight times a locked range over
// the map, most of it in the allocation and the GC cycles it brought on.
// A slice goes back cleared, so a pooled one holds nothing alive, and the
// pool itself is emptied by the collector.
type snapshots[T any] struct {
	pool sync.Pool
}

// get returns an empty slice with room for n items.
func (s *snapshots[T]) get(n int) *[]T {
	if p, _ := s.pool.Get().(*[]T); p != nil && cap(*p) >= n {
		return p
	}
	b := make([]T, 0, n)
	return &b
}

// put clears p and keeps it for the next iteration.
func (s *snapshots[T]) put(p *[]T) {
	clear(*p)
	*p = (*p)[:0]
	s.pool.Put(p)
}
