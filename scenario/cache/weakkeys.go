package cache

import (
	"iter"
	"runtime"
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
// miss. Looking up a key attaches the runtime's weak handle to it if it had
// none (a 16-byte allocation that lives as long as the key); the runtime has
// no way to ask about a weak pointer without making one.
//
// Create one with [NewWeakKeys]; the zero value is not usable. A WeakKeys is
// safe for concurrent use, and dropping it releases its values and its
// internals even while its keys are still alive elsewhere.
type WeakKeys[K any, V any] struct {
	c *wkCore[K, V]
}

// wkCore is everything a WeakKeys or a WeakSet owns; it is separate from
// them for the same reasons as wvCore.
type wkCore[K any, V any] struct {
	table[weak.Pointer[K], wkEntry[V]]
	self weak.Pointer[wkCore[K, V]]
	reap func(wkReapArg[K, V]) // reapKey, instantiated once
}

type wkEntry[V any] struct {
	val V
	cl  runtime.Cleanup // zero under Sweep
}

func (e wkEntry[V]) stopCleanup() { e.cl.Stop() }

// wkReapArg identifies an entry for the cleanup attached to its key. It
// holds only weak pointers, so it keeps neither the key nor the container
// alive.
type wkReapArg[K any, V any] struct {
	c weak.Pointer[wkCore[K, V]]
	k weak.Pointer[K]
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
	c.init(deadKey[K, V])
	c.self = weak.Make(c)
	runtime.AddCleanup(owner, closeKeys[K, V], c)
	switch cfg.strategy {
	case Cleanup:
		c.reap = reapKey[K, V]
	case Sweep:
		c.sweep = true
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
		for _, it := range w.c.snapshot() {
			if k := it.k.Value(); k != nil && !yield(k, it.v) {
				return
			}
		}
	}
}

// Stats returns the container's counters.
func (w *WeakKeys[K, V]) Stats() Stats { return w.c.stats.snapshot() }

func (c *wkCore[K, V]) put(k *K, v V) {
	if k == nil {
		return
	}
	c.stats.puts.Add(1)
	wp := weak.Make(k)
	c.mu.Lock()
	if e, ok := c.m[wp]; ok {
		e.val = v
		c.m[wp] = e
		c.mu.Unlock()
		return
	}
	var cl runtime.Cleanup
	if !c.sweep {
		// Only a key's first insert registers a cleanup, so it is done
		// under the lock rather than registered and then found redundant.
		cl = runtime.AddCleanup(k, c.reap, wkReapArg[K, V]{c: c.self, k: wp})
	}
	c.m[wp] = wkEntry[V]{val: v, cl: cl}
	if c.sweep {
		c.scanOnWrite()
	}
	c.mu.Unlock()
	runtime.KeepAlive(k)
}

func (c *wkCore[K, V]) get(k *K) (v V, ok bool) {
	if k != nil {
		wp := weak.Make(k)
		c.mu.RLock()
		var e wkEntry[V]
		e, ok = c.m[wp]
		c.mu.RUnlock()
		// The caller holds k, so a found entry's key is alive.
		if ok {
			c.stats.hits.Add(1)
			return e.val, true
		}
	}
	c.stats.misses.Add(1)
	return v, false
}

func (c *wkCore[K, V]) remove(k *K) bool {
	if k == nil {
		return false
	}
	wp := weak.Make(k)
	c.mu.Lock()
	e, ok := c.m[wp]
	if ok {
		delete(c.m, wp)
	}
	c.mu.Unlock()
	e.cl.Stop()
	return ok
}

type wkItem[K any, V any] struct {
	k weak.Pointer[K]
	v V
}

func (c *wkCore[K, V]) snapshot() []wkItem[K, V] {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap := make([]wkItem[K, V], 0, len(c.m))
	for k, e := range c.m {
		snap = append(snap, wkItem[K, V]{k, e.val})
	}
	return snap
}

// reapKey is the cleanup of one entry, run after the cycle that collected
// its key. A dead key's weak pointer can never be made again, since a new
// object gets a new weak handle even at a reused address, so whatever entry
// is still filed under it belongs to the dead key and can go.
func reapKey[K any, V any](a wkReapArg[K, V]) {
	c := a.c.Value()
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[a.k]; ok {
		delete(c.m, a.k)
		c.stats.reclaimed.Add(1)
	}
}

// closeKeys is the cleanup of the WeakKeys or WeakSet itself. Under
// Cleanup it stops the cleanups still attached to live keys, which would
// otherwise stay registered, holding their argument, for as long as the
// keys live; under Sweep it stops the sweeper (see sweepEachCycle).
func closeKeys[K any, V any](c *wkCore[K, V]) { c.close() }

func deadKey[K any, V any](k weak.Pointer[K], _ wkEntry[V]) bool { return k.Value() == nil }
