package main

import (
	"runtime"
	"sync"
	"weak"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"

	"github.com/weakscope/weakscope/scenario/cache"
)

// value is what every holder holds: 48 bytes with a pointer, so the tiny
// allocator never batches it and the collector can free each one.
type value struct {
	_  *value
	id int
	_  [4]uint64
}

// mapHolder is what the map benchmarks need of a holder of *value by int
// key. Every holder is called through it, so every figure includes the same
// indirect call.
type mapHolder interface {
	Put(k int, v *value)
	Get(k int) (*value, bool)
	Delete(k int)
	Range(f func(int, *value) bool)
	Len() int
}

// setHolder is what the set benchmarks need of a set of *value (WeakKeys
// counts as a set whose value is the element's id).
type setHolder interface {
	Add(x *value)
	Contains(x *value) bool
	Remove(x *value)
	Range(f func(*value) bool)
	Len() int
}

// kind says which limit a holder's figures are divided by.
type kind int

const (
	strong        kind = iota // holds values strongly: plain map limits
	weakSweep                 // weak, no per-entry cleanup: + weak.Make
	weakCleanup               // weak, one cleanup per entry: + AddCleanup
	limitHolder               // a limit itself
	peerBounded               // a bounded cache: compared, no limit of its own
	peerUnbounded             // sync.Map and the like
)

type mapCase struct {
	name string
	kind kind
	new  func(n int) mapHolder
	// strongPart is how many entries the holder keeps however its values
	// fare (WeakCache's capacity), or nil for none.
	strongPart func(n int) int
}

type setCase struct {
	name string
	kind kind
	new  func(n int) setHolder
}

// cacheCapacity is the strong part of a WeakCache of n entries: all of
// them, so that its Get measures a hit on a value it holds (a hit on a
// value it holds only weakly also moves it into the strong part).
func cacheCapacity(n int) int { return n }

// mapCases are every map-shaped holder, limits and peers included.
func mapCases() []mapCase {
	return []mapCase{
		{"plain", limitHolder, func(int) mapHolder { return &plainMap{m: map[int]*value{}} }, nil},
		{"handrolled", limitHolder, func(int) mapHolder { return newHandRolled() }, nil},
		{"Strong", strong, func(int) mapHolder { return strongMap{cache.NewStrong[int, value]()} }, nil},
		{"WeakValues-cleanup", weakCleanup, func(int) mapHolder {
			return weakValues{cache.NewWeakValues[int, value](cache.WithStrategy(cache.Cleanup))}
		}, nil},
		{"WeakValues-sweep", weakSweep, func(int) mapHolder {
			return weakValues{cache.NewWeakValues[int, value](cache.WithStrategy(cache.Sweep))}
		}, nil},
		{name: "WeakCache-cleanup", kind: weakCleanup, new: func(n int) mapHolder {
			return weakCache{cache.NewWeakCache[int, value](cacheCapacity(n), cache.WithStrategy(cache.Cleanup))}
		}, strongPart: cacheCapacity},
		{name: "WeakCache-sweep", kind: weakSweep, new: func(n int) mapHolder {
			return weakCache{cache.NewWeakCache[int, value](cacheCapacity(n), cache.WithStrategy(cache.Sweep))}
		}, strongPart: cacheCapacity},
		{"sync.Map", peerUnbounded, func(int) mapHolder { return &syncMap{} }, nil},
		{"golang-lru", peerBounded, func(n int) mapHolder {
			c, err := lru.New[int, *value](n)
			if err != nil {
				panic(err)
			}
			return lruMap{c}
		}, nil},
		{"otter", peerBounded, func(n int) mapHolder {
			return otterMap{otter.Must(&otter.Options[int, *value]{MaximumSize: n})}
		}, nil},
	}
}

// setCases are every set-shaped holder.
func setCases() []setCase {
	return []setCase{
		{"plain", limitHolder, func(int) setHolder { return &plainSet{m: map[*value]struct{}{}} }},
		{"handrolled", limitHolder, func(int) setHolder { return newHandRolledSet() }},
		{"StrongSet", strong, func(int) setHolder { return strongSet{cache.NewStrongSet[value]()} }},
		{"WeakSet-cleanup", weakCleanup, func(int) setHolder {
			return weakSet{cache.NewWeakSet[value](cache.WithStrategy(cache.Cleanup))}
		}},
		{"WeakSet-sweep", weakSweep, func(int) setHolder {
			return weakSet{cache.NewWeakSet[value](cache.WithStrategy(cache.Sweep))}
		}},
		{"WeakKeys-cleanup", weakCleanup, func(int) setHolder {
			return weakKeys{cache.NewWeakKeys[value, int](cache.WithStrategy(cache.Cleanup))}
		}},
		{"WeakKeys-sweep", weakSweep, func(int) setHolder {
			return weakKeys{cache.NewWeakKeys[value, int](cache.WithStrategy(cache.Sweep))}
		}},
	}
}

// plainMap is the limit of a map that keeps its values: a Go map under a
// mutex.
type plainMap struct {
	mu sync.Mutex
	m  map[int]*value
}

func (p *plainMap) Put(k int, v *value) {
	p.mu.Lock()
	p.m[k] = v
	p.mu.Unlock()
}

func (p *plainMap) Get(k int) (*value, bool) {
	p.mu.Lock()
	v, ok := p.m[k]
	p.mu.Unlock()
	return v, ok
}

func (p *plainMap) Delete(k int) {
	p.mu.Lock()
	delete(p.m, k)
	p.mu.Unlock()
}

func (p *plainMap) Range(f func(int, *value) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range p.m {
		if !f(k, v) {
			return
		}
	}
}

func (p *plainMap) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// handRolled is the simplest weak-value map a Go developer would write: a
// map of weak pointers under a mutex, and one cleanup per Put that deletes
// the entry if its value is gone. It never stops a cleanup, iterates under
// its lock, and never gives its table back.
type handRolled struct {
	mu   sync.Mutex
	m    map[int]weak.Pointer[value]
	reap func(int)
}

func newHandRolled() *handRolled {
	h := &handRolled{m: map[int]weak.Pointer[value]{}}
	h.reap = func(k int) {
		h.mu.Lock()
		if wp, ok := h.m[k]; ok && wp.Value() == nil {
			delete(h.m, k)
		}
		h.mu.Unlock()
	}
	return h
}

func (h *handRolled) Put(k int, v *value) {
	wp := weak.Make(v)
	runtime.AddCleanup(v, h.reap, k)
	h.mu.Lock()
	h.m[k] = wp
	h.mu.Unlock()
}

func (h *handRolled) Get(k int) (*value, bool) {
	h.mu.Lock()
	wp, ok := h.m[k]
	h.mu.Unlock()
	v := wp.Value()
	return v, ok && v != nil
}

func (h *handRolled) Delete(k int) {
	h.mu.Lock()
	delete(h.m, k)
	h.mu.Unlock()
}

func (h *handRolled) Range(f func(int, *value) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, wp := range h.m {
		if v := wp.Value(); v != nil && !f(k, v) {
			return
		}
	}
}

func (h *handRolled) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

type strongMap struct{ *cache.Strong[int, value] }

func (s strongMap) Range(f func(int, *value) bool) {
	for k, v := range s.All() {
		if !f(k, v) {
			return
		}
	}
}

type weakValues struct{ *cache.WeakValues[int, value] }

func (w weakValues) Range(f func(int, *value) bool) {
	for k, v := range w.All() {
		if !f(k, v) {
			return
		}
	}
}

type weakCache struct{ *cache.WeakCache[int, value] }

func (w weakCache) Range(f func(int, *value) bool) {
	for k, v := range w.All() {
		if !f(k, v) {
			return
		}
	}
}

type syncMap struct{ m sync.Map }

func (s *syncMap) Put(k int, v *value) { s.m.Store(k, v) }

func (s *syncMap) Get(k int) (*value, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return nil, false
	}
	return v.(*value), true
}

func (s *syncMap) Delete(k int) { s.m.Delete(k) }

func (s *syncMap) Range(f func(int, *value) bool) {
	s.m.Range(func(k, v any) bool { return f(k.(int), v.(*value)) })
}

func (s *syncMap) Len() int {
	n := 0
	s.m.Range(func(any, any) bool { n++; return true })
	return n
}

type lruMap struct{ c *lru.Cache[int, *value] }

func (l lruMap) Put(k int, v *value)      { l.c.Add(k, v) }
func (l lruMap) Get(k int) (*value, bool) { return l.c.Get(k) }
func (l lruMap) Delete(k int)             { l.c.Remove(k) }
func (l lruMap) Len() int                 { return l.c.Len() }

func (l lruMap) Range(f func(int, *value) bool) {
	for _, k := range l.c.Keys() {
		if v, ok := l.c.Peek(k); ok && !f(k, v) {
			return
		}
	}
}

type otterMap struct{ c *otter.Cache[int, *value] }

func (o otterMap) Put(k int, v *value)      { o.c.Set(k, v) }
func (o otterMap) Get(k int) (*value, bool) { return o.c.GetIfPresent(k) }
func (o otterMap) Delete(k int)             { o.c.Invalidate(k) }
func (o otterMap) Len() int                 { return o.c.EstimatedSize() }

func (o otterMap) Range(f func(int, *value) bool) {
	for k, v := range o.c.All() {
		if !f(k, v) {
			return
		}
	}
}

// plainSet is the limit of a set that keeps its elements.
type plainSet struct {
	mu sync.Mutex
	m  map[*value]struct{}
}

func (p *plainSet) Add(x *value) {
	p.mu.Lock()
	p.m[x] = struct{}{}
	p.mu.Unlock()
}

func (p *plainSet) Contains(x *value) bool {
	p.mu.Lock()
	_, ok := p.m[x]
	p.mu.Unlock()
	return ok
}

func (p *plainSet) Remove(x *value) {
	p.mu.Lock()
	delete(p.m, x)
	p.mu.Unlock()
}

func (p *plainSet) Range(f func(*value) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for x := range p.m {
		if !f(x) {
			return
		}
	}
}

func (p *plainSet) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// handRolledSet is the simplest weak set: a map keyed by weak pointers,
// which every lookup must make, and one cleanup per element.
type handRolledSet struct {
	mu   sync.Mutex
	m    map[weak.Pointer[value]]struct{}
	reap func(weak.Pointer[value])
}

func newHandRolledSet() *handRolledSet {
	h := &handRolledSet{m: map[weak.Pointer[value]]struct{}{}}
	h.reap = func(wp weak.Pointer[value]) {
		h.mu.Lock()
		delete(h.m, wp)
		h.mu.Unlock()
	}
	return h
}

func (h *handRolledSet) Add(x *value) {
	wp := weak.Make(x)
	h.mu.Lock()
	_, had := h.m[wp]
	h.m[wp] = struct{}{}
	h.mu.Unlock()
	if !had {
		runtime.AddCleanup(x, h.reap, wp)
	}
}

func (h *handRolledSet) Contains(x *value) bool {
	wp := weak.Make(x)
	h.mu.Lock()
	_, ok := h.m[wp]
	h.mu.Unlock()
	return ok
}

func (h *handRolledSet) Remove(x *value) {
	wp := weak.Make(x)
	h.mu.Lock()
	delete(h.m, wp)
	h.mu.Unlock()
}

func (h *handRolledSet) Range(f func(*value) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for wp := range h.m {
		if x := wp.Value(); x != nil && !f(x) {
			return
		}
	}
}

func (h *handRolledSet) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

type strongSet struct{ *cache.StrongSet[value] }

func (s strongSet) Remove(x *value) { s.StrongSet.Remove(x) }

func (s strongSet) Range(f func(*value) bool) {
	for x := range s.All() {
		if !f(x) {
			return
		}
	}
}

type weakSet struct{ *cache.WeakSet[value] }

func (s weakSet) Remove(x *value) { s.WeakSet.Remove(x) }

func (s weakSet) Range(f func(*value) bool) {
	for x := range s.All() {
		if !f(x) {
			return
		}
	}
}

type weakKeys struct{ *cache.WeakKeys[value, int] }

func (w weakKeys) Add(x *value)    { w.Put(x, x.id) }
func (w weakKeys) Remove(x *value) { w.Delete(x) }

func (w weakKeys) Contains(x *value) bool {
	_, ok := w.Get(x)
	return ok
}

func (w weakKeys) Range(f func(*value) bool) {
	for x := range w.All() {
		if !f(x) {
			return
		}
	}
}
