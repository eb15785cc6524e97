package cache

import (
	"sync"
	"sync/atomic"
)

// table is what the cores of WeakValues and WeakKeys (and so WeakSet)
// share: the map under its lock, the counters, and the Sweep strategy's
// state. MK is the map's key (the user's key, or a weak pointer to it) and
// dead tells an entry whose weakly held side has been collected.
type table[MK comparable, E entry] struct {
	mu     sync.RWMutex
	m      map[MK]E
	writes uint // inserts, for the Sweep strategy's scans; guarded by mu
	stats  counters
	sweep  bool        // the Sweep strategy; otherwise one cleanup per entry
	closed atomic.Bool // the container is gone; the sweeper then stops
	passes sweepPasses // the Sweep strategy's passes
	dead   func(MK, E) bool
}

// entry is a map entry, with the cleanup it carries under Cleanup.
type entry interface {
	stopCleanup()
}

func (t *table[MK, E]) init(dead func(MK, E) bool) {
	t.m = make(map[MK]E)
	t.dead = dead
}

func (t *table[MK, E]) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// close is the container's own cleanup (see closeValues and closeKeys): it
// stops the sweeper and every entry's cleanup, and drops the entries.
func (t *table[MK, E]) close() {
	t.closed.Store(true)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range t.m {
		e.stopCleanup()
	}
	clear(t.m)
}

// sweepAll is the Sweep strategy's pass after a GC cycle. It reports
// whether the container is still in use.
func (t *table[MK, E]) sweepAll() bool {
	if t.closed.Load() {
		return false
	}
	t.passes.pass(t.sweepOnce)
	return true
}

// sweepOnce deletes every dead entry.
func (t *table[MK, E]) sweepOnce() {
	if n := sweepMap(&t.mu, t.m, t.dead); n > 0 {
		t.stats.reclaimed.Add(n)
	}
}

// awaitSweep: see WeakValues.AwaitSweep.
func (t *table[MK, E]) awaitSweep() {
	if t.sweep && !t.closed.Load() {
		t.passes.await(t.sweepOnce)
	}
}

// scanOnWrite is the Sweep strategy's share of work for one insert. t.mu is
// held for writing.
func (t *table[MK, E]) scanOnWrite() {
	t.writes++
	if t.writes%scanEvery != 0 {
		return
	}
	if n := scanSome(t.m, scanBatch, t.dead); n > 0 {
		t.stats.reclaimed.Add(n)
	}
}
