package cache

import (
	"hash/maphash"
	"maps"
	"math/bits"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// Tuning of every weak container's table.
const (
	// A shard's map is rebuilt at its live size once its entries fall to
	// a shrinkFactor-th of the most it held since it was last built, if
	// that peak was at least shrinkMin. Rebuilding copies at most
	// peak/shrinkFactor entries after at least (1-1/shrinkFactor)·peak
	// removals, so it costs O(1) per removal, amortised.
	shrinkFactor = 4
	shrinkMin    = 64
	// maxShards bounds the shards of one container; each costs about
	// 200 bytes even when empty.
	maxShards = 64
)

// table is what the cores of WeakValues, WeakKeys (and so WeakSet) and
// WeakCache share: the entries, split into shards that each have their own
// lock, map and counters, so that readers on different shards never touch
// the same lock word or counter, and the Sweep strategy's state. MK is the
// map key (the user's key, or an object's address), E the entry and T the
// type of what the entries refer to weakly.
type table[MK comparable, E entry[T], T any] struct {
	shards []shard[MK, E, T]
	mask   uint64
	seed   maphash.Seed
	mix    uint64 // odd: mixInt's multiplier
	keys   keyShape
	sweep  bool        // the Sweep strategy; otherwise one cleanup per entry
	closed atomic.Bool // the container is gone; the sweeper then stops
	passes sweepPasses // the Sweep strategy's passes
	dead   func(MK, E) bool
}

// entry is a map entry: it can say whether its weakly held side is gone
// and hand over its cleanup when it leaves the map.
type entry[T any] interface {
	retired() retiredCleanup[T]
}

// shard is one lock's share of a table.
type shard[MK comparable, E entry[T], T any] struct {
	mu      sync.RWMutex
	m       map[MK]E
	peak    int    // the largest len(m) since m was made
	gen     uint64 // counts rebuilds of m, so a sweep can tell m was replaced
	writes  uint   // inserts, for the Sweep strategy's scans
	retired retirements[T]
	counters
	// The next shard's lock and counters must not share a cache line
	// with this one's, or readers of different shards would contend.
	_ [64]byte
}

// shardCount is the number of shards of a new container: a few per
// processor, so that concurrent readers rarely meet on one.
func shardCount() int {
	n := 4 * runtime.GOMAXPROCS(0)
	n = 1 << bits.Len(uint(n-1)) // the next power of two
	return min(max(n, 4), maxShards)
}

func (t *table[MK, E, T]) init(cfg config, dead func(MK, E) bool) {
	n := shardCount()
	t.shards = make([]shard[MK, E, T], n)
	for i := range t.shards {
		t.shards[i].m = make(map[MK]E)
		t.shards[i].lookups = cfg.stats
	}
	t.mask = uint64(n - 1)
	t.seed = maphash.MakeSeed()
	t.mix = maphash.Comparable(t.seed, 0) | 1
	t.keys = shapeOf[MK]()
	t.dead = dead
	t.sweep = cfg.strategy == Sweep
}

// shardOf returns the shard that holds k. Keys that are one machine word
// (integers, addresses, pointers) are mixed by a multiplication, a few
// cycles; strings go to maphash.String; other keys to maphash.Comparable,
// which works for any key but costs about ten nanoseconds, as much as the
// rest of a lookup's own work. (A type switch on the key would be as cheap
// to write, but converting a key to an interface allocates.)
func (t *table[MK, E, T]) shardOf(k MK) *shard[MK, E, T] {
	var h uint64
	switch t.keys {
	case wordKeys:
		h = t.mixInt(*(*uint64)(unsafe.Pointer(&k)))
	case stringKeys:
		h = maphash.String(t.seed, *(*string)(unsafe.Pointer(&k)))
	default:
		h = maphash.Comparable(t.seed, k)
	}
	return &t.shards[h&t.mask]
}

// keyShape says how shardOf hashes a table's keys.
type keyShape uint8

const (
	otherKeys  keyShape = iota
	wordKeys            // 8 bytes, no padding, equal exactly when their bits are
	stringKeys          // a string
)

func shapeOf[MK comparable]() keyShape {
	typ := reflect.TypeFor[MK]()
	switch typ.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr, reflect.Pointer, reflect.UnsafePointer:
		if typ.Size() == 8 {
			return wordKeys
		}
	case reflect.String:
		return stringKeys
	}
	return otherKeys
}

// mixInt spreads x over the bits that pick a shard: the high bits of a
// product with an odd, per-container multiplier.
func (t *table[MK, E, T]) mixInt(x uint64) uint64 {
	return (x * t.mix) >> 32
}

func (t *table[MK, E, T]) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

func (t *table[MK, E, T]) stats() Stats {
	var st Stats
	for i := range t.shards {
		st.add(t.shards[i].counters.snapshot())
	}
	return st
}

// close is the container's own cleanup: it stops the sweeper and every
// cleanup the container registered, and drops the entries.
func (t *table[MK, E, T]) close() {
	t.closed.Store(true)
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for _, e := range s.m {
			e.retired().cl.Stop()
		}
		clear(s.m)
		s.m = make(map[MK]E)
		s.retired.stopAll()
		s.mu.Unlock()
	}
}

// insert stores e under k, and retires and returns the entry it replaces,
// if any. The
// caller holds s.mu for writing and passes the result to stop once it
// has released it.
func (s *shard[MK, E, T]) insert(t *table[MK, E, T], k MK, e E) (old E, had bool, due []retiredCleanup[T]) {
	old, had = s.m[k]
	s.m[k] = e
	switch {
	case had:
		due = s.retired.add(old.retired())
	case t.sweep:
		// Only an insert that grows the map needs to find dead entries
		// to make up for it; a replacement adds nothing.
		s.scanOnWrite(t)
		fallthrough
	default:
		s.peak = max(s.peak, len(s.m))
	}
	return old, had, due
}

// remove deletes k's entry, retiring its cleanup, and gives the table back
// if it has shrunk enough. The caller holds s.mu for writing.
func (s *shard[MK, E, T]) remove(t *table[MK, E, T], k MK, e E) (due []retiredCleanup[T]) {
	delete(s.m, k)
	due = s.retired.add(e.retired())
	s.maybeShrink(t)
	return due
}

// reclaim deletes k's entry, whose referent is gone, so its cleanup is
// either running or has run. The caller holds s.mu for writing.
func (s *shard[MK, E, T]) reclaim(t *table[MK, E, T], k MK) {
	delete(s.m, k)
	s.reclaimed.Add(1)
	s.maybeShrink(t)
}

// maybeShrink rebuilds s.m at its live size when it has fallen well below
// its peak: deleting from a Go map never gives its memory back, so a table
// that once held a million entries would otherwise keep their room for as
// long as the container lives. Dead entries are left out of the new map.
// The caller holds s.mu for writing, so readers of this shard wait for one
// copy of at most peak/shrinkFactor entries; other shards are not held up.
func (s *shard[MK, E, T]) maybeShrink(t *table[MK, E, T]) {
	if s.peak < shrinkMin || len(s.m)*shrinkFactor > s.peak {
		return
	}
	// Dead entries are dropped first, so the new map is sized for the
	// live ones only: after a mass release, most of what is left are
	// entries whose cleanups have not run yet.
	for k, e := range s.m {
		if t.dead(k, e) {
			delete(s.m, k)
			s.reclaimed.Add(1)
		}
	}
	n := make(map[MK]E, len(s.m))
	maps.Copy(n, s.m)
	s.m = n
	s.peak = len(n)
	s.gen++
}

// stop stops the cleanups that retirements decided to stop. It is called
// with no lock held, since each Stop searches the runtime's per-span list
// under the runtime's own lock.
func stop[T any](rs []retiredCleanup[T]) {
	for _, r := range rs {
		r.cl.Stop()
	}
}

// retiredCleanup is the cleanup of an entry that left the map (deleted,
// replaced or dropped in a rebuild), with the weak pointer that tells
// whether its referent still lives.
type retiredCleanup[T any] struct {
	wp weak.Pointer[T]
	cl runtime.Cleanup
}

// retirements defers stopping the cleanups of entries that left the map.
// Stopping one searches the runtime's list of the object's span, which
// costs more than the rest of a Delete; and most referents of a deleted
// entry die soon, after which their cleanup runs, finds its entry gone and
// does nothing, so there is nothing to stop. A retired cleanup whose
// referent has survived two whole GC cycles since it was retired is
// stopped, so that a value that outlives many entries (deleted and stored
// again, replaced back and forth) does not collect registrations beyond
// about three cycles' worth: each retired cleanup is looked at once, and
// at most once stopped. (One whole cycle was the first choice; values
// still held for a moment after their Delete, by the request that deleted
// them, then had their cleanups stopped needlessly whenever two cycles
// came close together.)
type retirements[T any] struct {
	young []retiredCleanup[T] // retired since the latest cycle we saw
	mid   []retiredCleanup[T] // retired in the cycle before
	old   []retiredCleanup[T] // retired before that
	// mark points weakly to an object that nothing else holds, made when
	// the lists were last aged: once it is nil, a GC cycle has ended.
	mark weak.Pointer[cycleMark]
}

// cycleMark has a pointer, so it is never tiny-allocated and dies at the
// first cycle after it is made.
type cycleMark struct {
	_ *cycleMark
	_ uintptr
}

// add retires r and returns the cleanups that are now due to be stopped.
func (rs *retirements[T]) add(r retiredCleanup[T]) []retiredCleanup[T] {
	if r.cl == (runtime.Cleanup{}) {
		return nil // under Sweep there is nothing to stop
	}
	rs.young = append(rs.young, r)
	if rs.mark.Value() != nil {
		return nil
	}
	return rs.age()
}

// age is called once a cycle has ended since the last call: the old
// retired cleanups whose referent still lives have survived two whole
// cycles since they were retired, and are returned to be stopped; those
// whose referent died are forgotten; the others move up a list. Each retired
// cleanup is looked at once, when it is old, which costs a weak pointer's
// Value (a cache miss, most often): the only cost a retirement adds to a
// Delete or a replacement, amortised.
func (rs *retirements[T]) age() (due []retiredCleanup[T]) {
	for _, r := range rs.old {
		if r.wp.Value() != nil {
			due = append(due, r)
		}
	}
	rs.old, rs.mid, rs.young = trim(rs.mid), trim(rs.young), trim(rs.old[:0])
	rs.mark = weak.Make(&cycleMark{})
	return due
}

// trim gives back the room of a list that a burst of retirements grew
// far beyond what it holds. It leaves ordinary slack alone: the lists
// take turns, and a list cut down every cycle regrew every cycle (most of
// a Delete's retirement cost, in a CPU profile, was growing them).
func trim[T any](s []T) []T {
	if cap(s) > 4096 && cap(s) > 16*len(s) {
		return append([]T(nil), s...)
	}
	return s
}

// stopAll stops every retired cleanup: the container is closing.
func (rs *retirements[T]) stopAll() {
	stop(rs.young)
	stop(rs.mid)
	stop(rs.old)
	rs.young, rs.mid, rs.old = nil, nil, nil
}
