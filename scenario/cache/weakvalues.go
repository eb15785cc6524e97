package cache

import (
	"iter"
	"runtime"
	"weak"
)

// WeakValues maps keys to values that it holds weakly: an entry lasts as
// long as its value is reachable from outside the map, and disappears after
// the GC cycle that finds it unreachable. It is Go's counterpart of Python's
// WeakValueDictionary and of Guava's and Caffeine's weakValues().
//
// Get never reports a value that has been collected, whatever the strategy;
// what the strategy decides is when the dead entry stops being counted by
// Len (see [Strategy]). Keys are held strongly while their entry exists.
//
// Values the collector cannot track are never released: a pointer-free
// value of 16 bytes or less may share a memory block with other small
// objects (the tiny allocator) and then lives as long as any of them;
// every zero-size value has the same address, which is never collected; and
// a value placed by the linker, such as a package-level variable, lives
// forever. Such entries behave like strong ones; storing them never panics.
// A container of a zero-size value type uses the Sweep strategy whatever it
// was given, since cleanups are not promised to run for zero-size objects.
//
// Create one with [NewWeakValues]; the zero value is not usable. A
// WeakValues is safe for concurrent use, and dropping it releases its
// keys and its internals even while its values are still alive elsewhere.
type WeakValues[K comparable, V any] struct {
	c *wvCore[K, V, struct{}]
}

// wvCore is everything a WeakValues owns. It is a separate object so that
// the WeakValues, the only thing users hold, can die even while a cleanup or
// a sweep is using the core, and so that the WeakValues' own cleanup can
// then close the core: stop its per-entry cleanups and its sweeper.
//
// X is what else an entry records: nothing for a WeakValues, the slot of
// the value's strong reference for a WeakCache.
type wvCore[K comparable, V any, X comparable] struct {
	table[K, wvEntry[V, X], V]
	// self is what the sweeper and the cleanups' function hold, so that
	// neither keeps the core alive.
	self weak.Pointer[wvCore[K, V, X]]
	// reap is every entry's cleanup, made once per container: it refers
	// to the core (weakly), so that each entry's argument need not.
	reap  func(wvReapArg[K, V])
	snaps snapshots[wvItem[K, V]]
}

type wvEntry[V any, X comparable] struct {
	// x comes first: a zero-size last field would be padded.
	x  X
	wp weak.Pointer[V]
	// cl is the entry's cleanup, stopped when the entry leaves the map
	// and its value outlives that by a GC cycle (see retirements), so
	// that a value outliving many entries does not collect
	// registrations. Zero under Sweep, where stopping it does nothing.
	cl runtime.Cleanup
}

func (e wvEntry[V, X]) retired() retiredCleanup[V] { return retiredCleanup[V]{e.wp, e.cl} }

// wvReapArg identifies one entry for its cleanup. It holds the value only
// weakly; the key is released by closeValues if the container dies first.
type wvReapArg[K comparable, V any] struct {
	key K
	wp  weak.Pointer[V]
}

// NewWeakValues returns an empty WeakValues. The default strategy is
// [Cleanup]; see [WithStrategy].
func NewWeakValues[K comparable, V any](opts ...Option) *WeakValues[K, V] {
	w := &WeakValues[K, V]{c: newWVCore[K, V, struct{}](newConfig(opts))}
	runtime.AddCleanup(w, closeValues[K, V, struct{}], w.c)
	return w
}

func newWVCore[K comparable, V any, X comparable](cfg config) *wvCore[K, V, X] {
	if untrackable[V]() {
		cfg.strategy = Sweep
	}
	c := &wvCore[K, V, X]{}
	c.init(cfg, deadValue[K, V, X])
	self := weak.Make(c)
	c.self = self
	switch cfg.strategy {
	case Cleanup:
		c.reap = func(a wvReapArg[K, V]) {
			if c := self.Value(); c != nil {
				c.removeIfSame(c.shardOf(a.key), a.key, a.wp)
			}
		}
	case Sweep:
		if !cfg.noSweeper {
			sweepEachCycle(c.self, (*wvCore[K, V, X]).sweepAll)
		}
	}
	return c
}

// Put stores v under k, replacing any previous value. Put(k, nil) is the
// same as Delete(k), so that Get never reports ok with a nil value.
func (w *WeakValues[K, V]) Put(k K, v *V) {
	if v == nil {
		w.Delete(k)
		return
	}
	w.c.put(k, v, false)
	runtime.KeepAlive(v)
	// The WeakValues must outlive the registration, or closeValues could
	// run before this entry exists and leave its cleanup holding k.
	runtime.KeepAlive(w)
}

// put stores v (not nil) under k. It returns v's weak pointer, the entry v
// replaced, if any, and whether v was stored anew (false if k already held
// v).
//
// With inherit, the new entry keeps the x of the entry it replaces.
func (c *wvCore[K, V, X]) put(k K, v *V, inherit bool) (wp weak.Pointer[V], old wvEntry[V, X], had, stored bool) {
	s := c.shardOf(k)
	s.puts.Add(1)
	wp = weak.Make(v)
	s.mu.RLock()
	old, had = s.m[k]
	s.mu.RUnlock()
	if had && old.wp == wp {
		return wp, old, had, false // v is already there, with a cleanup of its own
	}
	var cl runtime.Cleanup
	if !c.sweep {
		// Registered before taking the lock: the runtime's own locking
		// need not lengthen ours, and v is alive until the caller's
		// KeepAlive, so the cleanup cannot run before the entry exists.
		cl = runtime.AddCleanup(v, c.reap, wvReapArg[K, V]{key: k, wp: wp})
	}
	s.mu.Lock()
	cur, ok := s.m[k]
	if ok && cur.wp == wp {
		// Another Put of v won the race; it has a cleanup of its own.
		s.mu.Unlock()
		cl.Stop()
		return wp, cur, true, false
	}
	e := wvEntry[V, X]{wp: wp, cl: cl}
	if inherit && ok {
		e.x = cur.x
	}
	old, had, due := s.insert(&c.table, k, e)
	s.mu.Unlock()
	stop(due)
	return wp, old, had, true
}

// setX records x in k's entry if it still holds wp, and reports whether
// it did.
func (c *wvCore[K, V, X]) setX(k K, wp weak.Pointer[V], x X) bool {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	if !ok || e.wp != wp {
		return false
	}
	e.x = x
	s.m[k] = e
	return true
}

// clearX replaces x by zero in k's entry if the entry still records x.
func (c *wvCore[K, V, X]) clearX(k K, x X) {
	s := c.shardOf(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[k]; ok && e.x == x {
		var zero X
		e.x = zero
		s.m[k] = e
	}
}

// peekX returns the x of k's entry.
func (c *wvCore[K, V, X]) peekX(k K) X {
	s := c.shardOf(k)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[k].x
}

// Get returns the value stored under k if it is still alive, and the
// identical pointer that was stored. If the entry's value has been
// collected, Get reports a miss and removes the entry.
func (w *WeakValues[K, V]) Get(k K) (v *V, ok bool) {
	v, _, ok = w.c.get(k)
	return v, ok
}

// get returns k's live value and its entry.
func (c *wvCore[K, V, X]) get(k K) (v *V, e wvEntry[V, X], ok bool) {
	s := c.shardOf(k)
	s.mu.RLock()
	e, found := s.m[k]
	s.mu.RUnlock()
	if found {
		if v = e.wp.Value(); v != nil {
			s.hit()
			return v, e, true
		}
		s.staleMiss()
		c.removeIfSame(s, k, e.wp)
	}
	s.miss()
	return nil, e, false
}

// LoadOrStore returns the live value stored under k and true, or else
// stores v under k and returns v and false. It is how a canonicalising map
// hands every caller the same object. A nil v is never stored: the result
// is then nil and false when k has no live value.
func (w *WeakValues[K, V]) LoadOrStore(k K, v *V) (actual *V, loaded bool) {
	actual, _, loaded = w.c.loadOrStore(k, v)
	runtime.KeepAlive(v)
	runtime.KeepAlive(w)
	return actual, loaded
}

// loadOrStore is LoadOrStore; it also returns the entry it found or made.
func (c *wvCore[K, V, X]) loadOrStore(k K, v *V) (actual *V, e wvEntry[V, X], loaded bool) {
	s := c.shardOf(k)
	s.mu.RLock()
	e, found := s.m[k]
	s.mu.RUnlock()
	if found {
		if cur := e.wp.Value(); cur != nil {
			s.hit()
			return cur, e, true
		}
	}
	if v == nil {
		if found {
			s.staleMiss()
			c.removeIfSame(s, k, e.wp)
		}
		s.miss()
		return nil, e, false
	}
	wp := weak.Make(v)
	var cl runtime.Cleanup
	if !c.sweep {
		// Registered before taking the lock, as in put; stopped again if
		// another caller stored a live value meanwhile.
		cl = runtime.AddCleanup(v, c.reap, wvReapArg[K, V]{key: k, wp: wp})
	}
	s.mu.Lock()
	e, found = s.m[k]
	if found {
		if cur := e.wp.Value(); cur != nil {
			s.mu.Unlock()
			cl.Stop()
			s.hit()
			return cur, e, true
		}
		// Dead: its cleanup is running or has run, and finds its
		// entry replaced.
		s.staleMiss()
		s.reclaimed.Add(1)
	}
	s.miss()
	s.puts.Add(1)
	e = wvEntry[V, X]{wp: wp, cl: cl}
	_, _, due := s.insert(&c.table, k, e)
	s.mu.Unlock()
	stop(due)
	return v, e, false
}

// Delete removes the entry for k, if any. Under [Cleanup], the entry's
// cleanup is not stopped at once: if the value dies within two GC cycles,
// the cleanup runs, finds the entry gone and does nothing; if it lives
// longer, a later write to the container stops it. Either way the value
// keeps no registration from this container for long.
func (w *WeakValues[K, V]) Delete(k K) { w.c.delete(k) }

// delete removes k's entry and returns it.
func (c *wvCore[K, V, X]) delete(k K) (e wvEntry[V, X], found bool) {
	s := c.shardOf(k)
	s.mu.Lock()
	e, found = s.m[k]
	var due []retiredCleanup[V]
	if found {
		due = s.remove(&c.table, k, e)
	}
	s.mu.Unlock()
	stop(due)
	return e, found
}

// All yields every entry whose value is alive, each key once and never
// with a nil value. It iterates over a snapshot of the entries taken when
// the loop starts, and holds no lock while the loop body runs, so the body
// may call any method of the container: entries added meanwhile are not
// yielded, and an entry deleted meanwhile is still yielded if its value is
// alive. A value collected during the loop is skipped. The snapshot holds
// the values weakly, so iterating keeps nothing alive.
func (w *WeakValues[K, V]) All() iter.Seq2[K, *V] {
	// The iterator refers to w, not to its core, so that an iterator kept
	// for later keeps its container alive (and its entries with it).
	return func(yield func(K, *V) bool) {
		snap := w.c.snapshot()
		defer w.c.snaps.put(snap)
		for _, it := range *snap {
			if v := it.wp.Value(); v != nil && !yield(it.k, v) {
				return
			}
		}
	}
}

type wvItem[K comparable, V any] struct {
	k  K
	wp weak.Pointer[V]
}

// snapshot copies every entry's key and weak pointer, one shard at a time
// under its read lock, into one slice sized for all of them.
// The slice comes from c.snaps; the caller gives it back.
func (c *wvCore[K, V, X]) snapshot() *[]wvItem[K, V] {
	snap := c.snaps.get(c.len())
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		for k, e := range s.m {
			*snap = append(*snap, wvItem[K, V]{k, e.wp})
		}
		s.mu.RUnlock()
	}
	return snap
}

// AwaitSweep makes sure that, under [Sweep], the map has been swept since
// the latest completed GC cycle, so that Len no longer counts an entry whose
// value that cycle found dead. It waits for a sweep in progress and sweeps
// on the caller's goroutine when the per-cycle sweep has not begun yet.
// Under [Cleanup] it returns at once: entries go as their cleanups run.
//
// Tests, and weakscope's own measurements, call it after forcing a cycle:
// cycles forced back to back can otherwise outpace the sweeper on a large
// map, and Len then depends on how the goroutines were scheduled.
func (w *WeakValues[K, V]) AwaitSweep() { w.c.awaitSweep() }

// Len returns the number of entries. Under [Cleanup] it may briefly count
// an entry whose value was collected but whose cleanup has not run yet;
// under [Sweep] it counts such entries until the next sweep.
func (w *WeakValues[K, V]) Len() int { return w.c.len() }

// Stats returns the container's counters.
func (w *WeakValues[K, V]) Stats() Stats { return w.c.stats() }

// removeIfSame removes k's entry from s only if it still holds wp: a Put
// may have replaced a dead value by a live one since wp was read, and that
// one must stay.
func (c *wvCore[K, V, X]) removeIfSame(s *shard[K, wvEntry[V, X], V], k K, wp weak.Pointer[V]) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[k]; ok && e.wp == wp {
		s.reclaim(&c.table, k)
		return true
	}
	return false
}

// closeValues is the cleanup of the WeakValues itself. Under Cleanup, each
// entry's cleanup holds a copy of its key and stays registered as long as
// the value lives, so the keys of a dropped container would otherwise live
// as long as its values; stopping them releases the keys at the next
// cycle. Under Sweep, it stops the sweeper (see sweepEachCycle).
func closeValues[K comparable, V any, X comparable](c *wvCore[K, V, X]) { c.close() }

func deadValue[K comparable, V any, X comparable](_ K, e wvEntry[V, X]) bool {
	return e.wp.Value() == nil
}
