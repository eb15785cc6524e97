package cache

import (
	"runtime"
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
	// The per-cycle sweep holds a shard's write lock for at most
	// sweepChunk entries at a time, so that a large container does not
	// stall its users for a whole pass. At a million entries each check
	// is a cache miss or two (about 0.1 to 0.2 µs), so 512 entries held
	// readers up for 50 to 100 µs; 64 hold them for about 10.
	sweepChunk = 64
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

// sweepAll is the Sweep strategy's pass after a GC cycle. It reports
// whether the container is still in use.
func (t *table[MK, E, T]) sweepAll() bool {
	if t.closed.Load() {
		return false
	}
	t.passes.pass(t.sweepOnce)
	return true
}

// sweepOnce deletes every dead entry, one shard at a time.
func (t *table[MK, E, T]) sweepOnce() {
	for i := range t.shards {
		t.shards[i].sweep(t)
	}
}

// awaitSweep: see WeakValues.AwaitSweep.
func (t *table[MK, E, T]) awaitSweep() {
	if t.sweep && !t.closed.Load() {
		t.passes.await(t.sweepOnce)
	}
}

// sweep deletes every dead entry of s, then gives the table back if it
// has shrunk enough. It lets go of s.mu every sweepChunk entries: Go
// allows a map to change between the steps of a range over it (entries
// deleted meanwhile are not visited, entries added may or may not be), and
// the iteration only advances while s.mu is held. If s.m was rebuilt
// meanwhile, the rebuild has left out the dead entries itself, and the
// range, which would go on over the old map, stops.
func (s *shard[MK, E, T]) sweep(t *table[MK, E, T]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gen, n := s.gen, 0
	for k, e := range s.m {
		if t.dead(k, e) {
			delete(s.m, k)
			s.reclaimed.Add(1)
		}
		if n++; n%sweepChunk == 0 {
			s.mu.Unlock()
			// sync.Mutex is not fair: relocking at once would win the
			// lock again before a waiting Put or Get could, which then
			// waits until the mutex turns to starvation mode (1 ms).
			runtime.Gosched()
			s.mu.Lock()
			if s.gen != gen {
				return
			}
		}
	}
	s.maybeShrink(t)
}

// scanOnWrite is the Sweep strategy's share of work for one insert of a
// new key: every scanEvery-th such insert examines up to scanBatch entries, starting wherever
// Go's map iteration starts, which is a random place, so that successive
// calls cover the map without keeping a cursor that would pin it. s.mu is
// held for writing.
func (s *shard[MK, E, T]) scanOnWrite(t *table[MK, E, T]) {
	s.writes++
	if s.writes%scanEvery != 0 {
		return
	}
	n := 0
	for k, e := range s.m {
		if t.dead(k, e) {
			delete(s.m, k)
			s.reclaimed.Add(1)
		}
		if n++; n >= scanBatch {
			break
		}
	}
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
