package cache

import (
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"
)

// WeakCache is a cache with a hit-rate goal that never duplicates a live
// value: it holds up to a fixed number of its most used values strongly,
// and every value it stores weakly. It is what Caffeine's weakValues()
// with maximumSize gives Java programs.
//
// A bounded cache alone (an LRU) drops an entry that callers may still be
// using, and the next request for its key builds a second copy while the
// first lives on; a weak map alone (a [WeakValues]) keeps nothing that no
// caller holds, so its hit ratio follows the collector, not popularity.
// WeakCache is both:
//
//   - Get and LoadOrStore find any value stored under the key for as long
//     as anything holds it — the cache's own strong part, or any caller —
//     so a value still in use is never duplicated for its key, and there
//     is never more than one value per key in the cache;
//   - of those values, it keeps up to its capacity alive itself: while
//     the strong part has room, every stored value enters it; once it is
//     full, a value enters it when it is found again by Get or LoadOrStore
//     while only held weakly (a second use before the next GC cycle, or
//     while some caller still holds it), pushing out the value least
//     recently found by the CLOCK approximation of LRU. A value used once
//     and dropped (a one-hit wonder) never pushes out a popular one.
//
// A value pushed out of the strong part stays in the cache, weakly, until
// the collector reclaims it; Len counts every entry, Held only the values
// held strongly (at most the capacity).
//
// Values the collector cannot track (see [WeakValues]) are never released;
// keys are held strongly while their entry exists. The entries go as in
// [WeakValues], by the same [Strategy]: Get never reports a collected
// value, and a dead entry never removes a live one stored after it.
//
// Create one with [NewWeakCache]; the zero value is not usable. A WeakCache
// is safe for concurrent use, and dropping it releases everything it holds
// and its internals, even while some of its values live on elsewhere.
type WeakCache[K comparable, V any] struct {
	c *wcCore[K, V]
}

// slotRef is an entry's place in the strong part: the index of its slot
// plus one, or 0 when the entry's value is held only weakly.
type slotRef int32

// wcCore is everything a WeakCache owns. The weak part is a WeakValues'
// core whose entries record their slotRef; the strong part is a ring of
// slots, each holding one value strongly, swept by a CLOCK hand.
type wcCore[K comparable, V any] struct {
	weak *wvCore[K, V, slotRef]

	mu   sync.Mutex // guards the slots, hand, next and free
	ring []wcSlot[K, V]
	hand int     // the CLOCK hand: the next slot considered for eviction
	next int     // slots from next on have never been used
	free []int32 // slots given back by Delete or replacement
	held atomic.Int64
	// marks has one bit per slot, set by every hit on the slot's value
	// and cleared by the CLOCK hand as it passes; a value the hand finds
	// unmarked is pushed out. The bits are packed, so that the marks of
	// a large ring stay in the processor's cache, and written without
	// the lock: a hit that lands on a slot just reassigned only misguides
	// the hand once.
	marks []atomic.Uint64
}

// wcSlot holds one value strongly.
type wcSlot[K comparable, V any] struct {
	key K
	v   *V
}

// mark records a hit on slot i. Most hits find the bit set already; a
// read first leaves the word shared among the processors that read it.
func (c *wcCore[K, V]) mark(i int) {
	w, bit := &c.marks[i/64], uint64(1)<<(i%64)
	if w.Load()&bit == 0 {
		w.Or(bit)
	}
}

// unmark clears slot i's mark and reports whether it was set.
func (c *wcCore[K, V]) unmark(i int) bool {
	bit := uint64(1) << (i % 64)
	return c.marks[i/64].And(^bit)&bit != 0
}

// NewWeakCache returns an empty WeakCache that holds at most capacity
// values strongly. It panics if capacity is less than 1. The default
// strategy is [Cleanup]; see [WithStrategy].
func NewWeakCache[K comparable, V any](capacity int, opts ...Option) *WeakCache[K, V] {
	if capacity < 1 || capacity > 1<<30 {
		panic(fmt.Sprintf("cache: NewWeakCache capacity %d: want 1 to 2^30", capacity))
	}
	c := &wcCore[K, V]{
		weak:  newWVCore[K, V, slotRef](newConfig(opts)),
		ring:  make([]wcSlot[K, V], capacity),
		marks: make([]atomic.Uint64, (capacity+63)/64),
	}
	w := &WeakCache[K, V]{c: c}
	runtime.AddCleanup(w, closeValues[K, V, slotRef], c.weak)
	return w
}

// Get returns the value stored under k if it is still alive, held by the
// cache or by anyone else, and the identical pointer that was stored. A hit
// marks the value as used; a value that was held only weakly enters the
// strong part.
func (w *WeakCache[K, V]) Get(k K) (v *V, ok bool) {
	v, e, ok := w.c.weak.get(k)
	if ok {
		w.c.used(k, v, e)
	}
	runtime.KeepAlive(w)
	return v, ok
}

// LoadOrStore returns the live value stored under k and true, or else
// stores v under k and returns v and false, as [WeakValues.LoadOrStore]
// does; a found value is marked as used, as by Get. A nil v is never
// stored.
func (w *WeakCache[K, V]) LoadOrStore(k K, v *V) (actual *V, loaded bool) {
	actual, e, loaded := w.c.weak.loadOrStore(k, v)
	switch {
	case loaded:
		w.c.used(k, actual, e)
	case actual != nil:
		w.c.stored(k, actual, e.wp, wvEntry[V, slotRef]{}, false)
	}
	runtime.KeepAlive(v)
	runtime.KeepAlive(w)
	return actual, loaded
}

// Put stores v under k, replacing any previous value: if the previous one
// was held strongly, v takes its place there; otherwise v enters the
// strong part only if it has room. Put(k, nil) is the same as Delete(k).
func (w *WeakCache[K, V]) Put(k K, v *V) {
	if v == nil {
		w.Delete(k)
		return
	}
	wp, old, had, stored := w.c.weak.put(k, v, true)
	if stored {
		w.c.stored(k, v, wp, old, had)
	}
	runtime.KeepAlive(v)
	runtime.KeepAlive(w)
}

// Delete removes the entry for k, if any, and lets go of its value.
func (w *WeakCache[K, V]) Delete(k K) {
	if e, found := w.c.weak.delete(k); found && e.x != 0 {
		w.c.mu.Lock()
		w.c.release(k, e.x)
		w.c.mu.Unlock()
	}
}

// All yields every entry whose value is alive, as [WeakValues.All] does:
// each key once, from a snapshot taken when the loop starts, with no lock
// held while the loop body runs. Iterating marks nothing as used.
func (w *WeakCache[K, V]) All() iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		defer runtime.KeepAlive(w)
		snap := w.c.weak.snapshot()
		defer w.c.weak.snaps.put(snap)
		for _, it := range *snap {
			if v := it.wp.Value(); v != nil && !yield(it.k, v) {
				return
			}
		}
	}
}

// Len returns the number of entries, those held only weakly included; see
// [WeakValues.Len] for when a dead entry is still counted.
func (w *WeakCache[K, V]) Len() int { return w.c.weak.len() }

// Held returns the number of values the cache holds strongly: at most its
// capacity.
func (w *WeakCache[K, V]) Held() int { return int(w.c.held.Load()) }

// Capacity returns the most values the cache holds strongly.
func (w *WeakCache[K, V]) Capacity() int { return len(w.c.ring) }

// AwaitSweep makes sure that, under [Sweep], the entries have been swept
// since the latest completed GC cycle; see [WeakValues.AwaitSweep].
func (w *WeakCache[K, V]) AwaitSweep() { w.c.weak.awaitSweep() }

// Stats returns the cache's counters. Hits counts the values found whether
// the cache or a caller was keeping them alive.
func (w *WeakCache[K, V]) Stats() Stats { return w.c.weak.stats() }

// used records a hit on k's value v, whose entry was e.
func (c *wcCore[K, V]) used(k K, v *V, e wvEntry[V, slotRef]) {
	if e.x != 0 {
		c.mark(int(e.x - 1))
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Another hit may have brought k in meanwhile; admissions are
	// serialised by c.mu, so its slotRef is in the entry by now.
	if c.weak.peekX(k) != 0 {
		return
	}
	c.admit(k, v, e.wp, c.slot())
}

// stored files a value that Put or LoadOrStore has just stored under k,
// with weak pointer wp, in place of old (if had). A Put's new entry has
// inherited old's slotRef.
func (c *wcCore[K, V]) stored(k K, v *V, wp weak.Pointer[V], old wvEntry[V, slotRef], had bool) {
	if had && old.x != 0 {
		c.mu.Lock()
		defer c.mu.Unlock()
		// The old value's slot goes to the new value, if it is still
		// k's; otherwise the new one competes like any other.
		if s := &c.ring[old.x-1]; s.key == k && s.v != nil {
			s.v = v
			return
		}
		c.weak.clearX(k, old.x)
	} else if int(c.held.Load()) >= len(c.ring) {
		return // full: v enters the strong part on its next hit
	} else {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	// A hit may have brought the new value in meanwhile (admissions are
	// serialised by c.mu, so its slotRef is in the entry by now).
	if c.weak.peekX(k) != 0 {
		return
	}
	if i := c.freeSlot(); i >= 0 {
		c.admit(k, v, wp, i)
	}
}

// admit holds v strongly in slot i, if k's entry still holds wp; otherwise
// the slot goes back to the free list. c.mu is held.
func (c *wcCore[K, V]) admit(k K, v *V, wp weak.Pointer[V], i int) {
	s := &c.ring[i]
	if !c.weak.setX(k, wp, slotRef(i+1)) {
		c.free = append(c.free, int32(i))
		return
	}
	s.key, s.v = k, v
	c.unmark(i)
	c.held.Add(1)
}

// release lets go of the value in slot x, if that slot still holds k's.
// c.mu is held.
func (c *wcCore[K, V]) release(k K, x slotRef) {
	s := &c.ring[x-1]
	if s.key != k || s.v == nil {
		return
	}
	c.weak.clearX(k, x)
	var zero K
	s.key, s.v = zero, nil
	c.free = append(c.free, int32(x-1))
	c.held.Add(-1)
}

// freeSlot returns a slot that holds nothing, or -1. c.mu is held.
func (c *wcCore[K, V]) freeSlot() int {
	if n := len(c.free); n > 0 {
		i := c.free[n-1]
		c.free = c.free[:n-1]
		return int(i)
	}
	if c.next < len(c.ring) {
		c.next++
		return c.next - 1
	}
	return -1
}

// slot returns a slot for a new value: a free one, or else the one the
// CLOCK hand pushes out. The hand clears the mark of every used slot it
// passes, so it stops within one turn. c.mu is held.
func (c *wcCore[K, V]) slot() int {
	if i := c.freeSlot(); i >= 0 {
		return i
	}
	for {
		i := c.hand
		c.hand = (c.hand + 1) % len(c.ring)
		s := &c.ring[i]
		if s.v != nil && c.unmark(i) {
			continue
		}
		if s.v != nil {
			c.release(s.key, slotRef(i+1))
			// release put i on the free list; take it back.
			c.free = c.free[:len(c.free)-1]
		}
		return i
	}
}
