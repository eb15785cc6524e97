package cache

import (
	"iter"
	"runtime"
	"unsafe"
	"weak"
)

// WeakKeys maps objects, identified by their address, to values, holding the
// objects weakly: an entry lasts as long as its key is reachable from outside
// the map. It attaches data to objects the program does not own, like
// Python's WeakKeyDictionary and Java's WeakHashMap. Two keys are the same
// key only if they are the same pointer: *K values that are equal but
// separately allocated are different keys.
//
// The values are held strongly, and that is the known limit of WeakKeys: an
// entry whose value refers to its own key, directly or through other
// objects, is never released, because the map then keeps the key reachable
// itself. Runtimes with ephemerons (JavaScript's WeakMap, .NET's
// ConditionalWeakTable) let the collector trace a value only once its key
// is known to be reachable from elsewhere; Go's collector has no such
// construct, and neither weak.Pointer nor runtime.AddCleanup can express
// one. Java's WeakHashMap and Python's WeakKeyDictionary share the limit.
// Such an entry lasts until it is deleted or the WeakKeys itself is
// dropped.
//
// Keys the collector cannot track are never released: a pointer-free key
// of 16 bytes or less may share a memory block with other small objects
// (the tiny allocator) and then lives as long as any of them; a key placed
// by the linker, such as a package-level variable, lives forever; and every
// zero-size key has the same address, so all zero-size keys of a map are
// one key, which is never released. Storing them never panics. A container
// whose key type is zero-size uses the Sweep strategy whatever it was given,
// since cleanups are not promised to run for zero-size objects.
//
// A nil key is never stored: Put(nil, v) does nothing and Get(nil) reports a
// miss. Entries are found by the key's address and confirmed by the weak
// pointer stored with them, so Get, Delete and a Put that replaces a value
// make no weak pointer: only the first Put of a key does. An address that
// the collector has reused for a new object never finds the dead key's
// entry, since that entry's weak pointer no longer leads anywhere.
//
// Create one with [NewWeakKeys]; the zero value is not usable. A WeakKeys is
// safe for concurrent use, and dropping it releases its values and its
// internals even while its keys are still alive elsewhere.
type WeakKeys[K any, V any] struct {
	c *wkCore[K, V]
}

// wkCore is everything a WeakKeys or a WeakSet owns; it is separate from
// them for the same reasons as wvCore. Entries are filed under the key's
// address, which is stable (Go's heap objects do not move) and costs
// nothing to compute, where a weak pointer as the map key would cost a
// weak.Make, a lock and a walk of the runtime's per-span list, on every
// lookup.
type wkCore[K any, V any] struct {
	table[uintptr, wkEntry[K, V], K]
	self  weak.Pointer[wkCore[K, V]]
	reap  func(wkReapArg[K]) // every entry's cleanup, made once
	snaps snapshots[wkItem[K, V]]
}

type wkEntry[K any, V any] struct {
	// wp is the key, weakly: an entry is k's only while wp.Value() == k,
	// which also tells a dead key's entry from a new object at its address.
	wp  weak.Pointer[K]
	val V
	cl  runtime.Cleanup // zero under Sweep
}

func (e wkEntry[K, V]) retired() retiredCleanup[K] { return retiredCleanup[K]{e.wp, e.cl} }

// wkReapArg identifies an entry for the cleanup attached to its key. It
// keeps neither the key nor the container alive.
type wkReapArg[K any] struct {
	addr uintptr
	wp   weak.Pointer[K]
}

// NewWeakKeys returns an empty WeakKeys. The default strategy is [Cleanup];
// see [WithStrategy].
func NewWeakKeys[K any, V any](opts ...Option) *WeakKeys[K, V] {
	w := &WeakKeys[K, V]{}
	w.c = newWKCore[K, V](w, opts)
	return w
}

// newWKCore makes the core of owner, which is the WeakKeys or WeakSet that
// users hold: when owner dies, its cleanup closes the core (closeKeys).
func newWKCore[K any, V any, O any](owner *O, opts []Option) *wkCore[K, V] {
	cfg := newConfig(opts)
	if untrackable[K]() {
		cfg.strategy = Sweep
	}
	c := &wkCore[K, V]{}
	c.init(cfg, deadKey[K, V])
	self := weak.Make(c)
	c.self = self
	runtime.AddCleanup(owner, closeKeys[K, V], c)
	switch cfg.strategy {
	case Cleanup:
		c.reap = func(a wkReapArg[K]) {
			if c := self.Value(); c != nil {
				c.reapKey(a)
			}
		}
	case Sweep:
		if !cfg.noSweeper {
			sweepEachCycle(c.self, (*wkCore[K, V]).sweepAll)
		}
	}
	return c
}

// Put stores v under k, replacing the value of an existing entry for k.
func (w *WeakKeys[K, V]) Put(k *K, v V) {
	w.c.put(k, v)
	runtime.KeepAlive(w) // see WeakValues.Put
}

// Get returns the value stored under k, or the zero V and false.
func (w *WeakKeys[K, V]) Get(k *K) (v V, ok bool) { return w.c.get(k) }

// Delete removes the entry for k, if any.
func (w *WeakKeys[K, V]) Delete(k *K) { w.c.remove(k) }

// AwaitSweep makes sure that, under [Sweep], the map has been swept since
// the latest completed GC cycle; see [WeakValues.AwaitSweep].
func (w *WeakKeys[K, V]) AwaitSweep() { w.c.awaitSweep() }

// Len returns the number of entries. Under [Cleanup] it may briefly count
// an entry whose key was collected but whose cleanup has not run yet; under
// [Sweep] it counts such entries until the next sweep.
func (w *WeakKeys[K, V]) Len() int { return w.c.len() }

// All yields every entry whose key is alive, each once, with the key as
// the pointer that was stored. It iterates over a snapshot taken when the
// loop starts and holds no lock while the loop body runs, so the body may
// call any method of the container: entries added meanwhile are not
// yielded, an entry deleted meanwhile is still yielded (with the value it
// had when the loop started) if its key is alive, and a key collected
// during the loop is skipped. The snapshot holds the keys weakly, so
// iterating keeps no key alive.
func (w *WeakKeys[K, V]) All() iter.Seq2[*K, V] {
	return func(yield func(*K, V) bool) {
		snap := w.c.snapshot()
		defer w.c.snaps.put(snap)
		for _, it := range *snap {
			if k := it.k.Value(); k != nil && !yield(k, it.v) {
				return
			}
		}
	}
}

// Stats returns the container's counters.
func (w *WeakKeys[K, V]) Stats() Stats { return w.c.stats() }

// addr is k's address, the map key of its entry.
func addr[K any](k *K) uintptr { return uintptr(unsafe.Pointer(k)) }

func (c *wkCore[K, V]) put(k *K, v V) {
	if k == nil {
		return
	}
	a := addr(k)
	s := c.shardOf(a)
	s.puts.Add(1)
	s.mu.Lock()
	if e, ok := s.m[a]; ok && e.wp.Value() == k {
		e.val = v
		s.m[a] = e
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()

	// k's first insert: make its weak pointer and its cleanup without
	// holding the lock, which readers of this shard would wait for.
	wp := weak.Make(k)
	var cl runtime.Cleanup
	if !c.sweep {
		cl = runtime.AddCleanup(k, c.reap, wkReapArg[K]{addr: a, wp: wp})
	}
	s.mu.Lock()
	if e, ok := s.m[a]; ok && e.wp == wp {
		// Another Put of k got there first, with a cleanup of its own.
		e.val = v
		s.m[a] = e
		s.mu.Unlock()
		cl.Stop()
		runtime.KeepAlive(k)
		return
	}
	// An entry still filed at this address belongs to a dead object:
	// its weak pointer is not k's. insert retires it.
	_, _, due := s.insert(&c.table, a, wkEntry[K, V]{wp: wp, val: v, cl: cl})
	s.mu.Unlock()
	stop(due)
	runtime.KeepAlive(k)
}

func (c *wkCore[K, V]) get(k *K) (v V, ok bool) {
	if k != nil {
		s := c.shardOf(addr(k))
		s.mu.RLock()
		e, found := s.m[addr(k)]
		s.mu.RUnlock()
		// The caller holds k, so an entry whose weak pointer leads to k is
		// alive; one that leads elsewhere (nowhere) is a dead object's.
		if found && e.wp.Value() == k {
			s.hit()
			return e.val, true
		}
		s.miss()
		return v, false
	}
	c.shards[0].miss()
	return v, false
}

func (c *wkCore[K, V]) remove(k *K) bool {
	if k == nil {
		return false
	}
	a := addr(k)
	s := c.shardOf(a)
	s.mu.Lock()
	e, ok := s.m[a]
	ok = ok && e.wp.Value() == k
	var due []retiredCleanup[K]
	if ok {
		due = s.remove(&c.table, a, e)
	}
	s.mu.Unlock()
	stop(due)
	runtime.KeepAlive(k)
	return ok
}

type wkItem[K any, V any] struct {
	k weak.Pointer[K]
	v V
}

// snapshot copies every entry's weak key and value; the slice comes from
// c.snaps, and the caller gives it back.
func (c *wkCore[K, V]) snapshot() *[]wkItem[K, V] {
	snap := c.snaps.get(c.len())
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		for _, e := range s.m {
			*snap = append(*snap, wkItem[K, V]{e.wp, e.val})
		}
		s.mu.RUnlock()
	}
	return snap
}

// reapKey is the cleanup of one entry, run after the cycle that collected
// its key. It removes the entry only if it still holds that key's weak
// pointer: a new object at the same address may have its own entry there
// by now.
func (c *wkCore[K, V]) reapKey(a wkReapArg[K]) {
	s := c.shardOf(a.addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[a.addr]; ok && e.wp == a.wp {
		s.reclaim(&c.table, a.addr)
	}
}

// closeKeys is the cleanup of the WeakKeys or WeakSet itself. Under
// Cleanup it stops the cleanups still attached to live keys, which would
// otherwise stay registered, holding their argument, for as long as the
// keys live; under Sweep it stops the sweeper (see sweepEachCycle).
func closeKeys[K any, V any](c *wkCore[K, V]) { c.close() }

func deadKey[K any, V any](_ uintptr, e wkEntry[K, V]) bool { return e.wp.Value() == nil }
