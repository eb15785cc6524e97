package cache

import (
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

// Tuning of the Sweep strategy.
const (
	// Every scanEvery-th insert examines up to scanBatch entries, so
	// inserts find dead entries about twice as fast as they add new ones
	// even when the per-cycle sweep falls behind (a busy process, or
	// GOMAXPROCS=1), at an amortised cost of a map step and a weak
	// pointer check per insert or two.
	scanEvery = 8
	scanBatch = 16
	// The per-cycle sweep holds the write lock for at most sweepChunk
	// entries at a time, so that a large container does not stall its
	// users for a whole pass.
	sweepChunk = 512
)

// untrackable reports whether pointers to T cannot be relied on to have a
// cleanup run. Every pointer to a zero-size object may be the one address
// all of them share, which is never collected and for which the runtime
// does not promise to run cleanups, so containers of such types sweep
// instead of registering cleanups.
func untrackable[T any]() bool {
	var z T
	return unsafe.Sizeof(z) == 0
}

// sweepEachCycle runs sweep on c's referent after every GC cycle until the
// referent is collected or sweep returns false, which it does once the
// container that owns c is gone. It holds c only weakly between calls.
//
// A sweep holds c strongly while it runs, so a cycle that starts meanwhile
// keeps c; when cycles come back to back (as when a test forces them),
// each one would trigger the sweep that keeps c through the next, and c
// would outlive its container for as long as that goes on. Stopping as soon
// as the container is gone, rather than when c is, breaks that chain.
func sweepEachCycle[C any](c weak.Pointer[C], sweep func(*C) bool) {
	inspect.OnCycle(func(uint64) bool {
		p := c.Value()
		return p != nil && sweep(p)
	})
}

// sweepMap deletes every entry of m that dead reports, and returns how many
// it deleted. It takes mu itself and lets go of it every sweepChunk entries:
// Go allows a map to change between the steps of a range over it (entries
// deleted meanwhile are not visited, entries added may or may not be), and
// the iteration only advances while mu is held.
func sweepMap[MK comparable, E any](mu *sync.RWMutex, m map[MK]E, dead func(MK, E) bool) (removed uint64) {
	mu.Lock()
	n := 0
	for k, e := range m {
		if dead(k, e) {
			delete(m, k)
			removed++
		}
		if n++; n%sweepChunk == 0 {
			mu.Unlock()
			mu.Lock()
		}
	}
	mu.Unlock()
	return removed
}

// scanSome deletes the dead entries among at most limit entries of m,
// starting wherever Go's map iteration starts, which is a random place, so
// that successive calls cover the map without keeping a cursor that would
// pin it. The caller holds the write lock.
func scanSome[MK comparable, E any](m map[MK]E, limit int, dead func(MK, E) bool) (removed uint64) {
	n := 0
	for k, e := range m {
		if dead(k, e) {
			delete(m, k)
			removed++
		}
		if n++; n >= limit {
			break
		}
	}
	return removed
}

// sweepPasses serialises a container's sweep passes and remembers the GC
// cycle count at which the latest completed pass began, so that
// AwaitSweep can tell whether the container has been swept since the latest
// cycle without waiting for the per-cycle sweeper.
type sweepPasses struct {
	mu    sync.Mutex // held for a whole pass
	began atomic.Uint64
}

// pass runs sweep as one pass.
func (s *sweepPasses) pass(sweep func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run(sweep)
}

func (s *sweepPasses) run(sweep func()) {
	cycle := inspect.Read().Cycle
	sweep()
	s.began.Store(cycle)
}

// await makes sure a pass has begun and ended since the latest completed GC
// cycle: it waits for a pass in progress, and runs one on the caller's
// goroutine when none has begun since that cycle. A pass that begins after
// a cycle sees every object that cycle found dead, since weak pointers to
// them already return nil.
func (s *sweepPasses) await(sweep func()) {
	cycle := inspect.Read().Cycle
	if s.began.Load() >= cycle {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.began.Load() >= cycle {
		return
	}
	s.run(sweep)
}
