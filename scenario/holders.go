package scenario

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"time"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

// MapHolder is what the map protocols of [Map] need of a holder of *V
// values by key: the methods of cache.Strong and cache.WeakValues, and of
// most Go caches. Wrap a holder whose methods are named otherwise in
// [MapFuncs].
type MapHolder[K comparable, V any] interface {
	// Put stores value under key.
	Put(key K, value *V)
	// Get returns the value under key, if the holder has one.
	Get(key K) (*V, bool)
	// Len is the number of entries. The runner calls it from another
	// goroutine while the protocol runs, so it must be safe for
	// concurrent use.
	Len() int
}

// MapFuncs is a [MapHolder] made of functions, for a holder whose methods
// have other names or shapes, such as golang-lru's Add or otter's
// GetIfPresent.
type MapFuncs[K comparable, V any] struct {
	PutFunc func(key K, value *V)
	GetFunc func(key K) (*V, bool)
	LenFunc func() int
	// Wrapped, if set, is the holder the functions call: the protocols
	// name it on retention paths (a pointer) and, if it has a Quiesce or
	// AwaitSweep method, wait for it after each GC cycle, as they do for
	// a holder given directly.
	Wrapped any
}

// Put calls PutFunc.
func (f MapFuncs[K, V]) Put(key K, value *V) { f.PutFunc(key, value) }

// Get calls GetFunc.
func (f MapFuncs[K, V]) Get(key K) (*V, bool) { return f.GetFunc(key) }

// Len calls LenFunc.
func (f MapFuncs[K, V]) Len() int { return f.LenFunc() }

// Map describes one variant of a map scenario: a holder type, and how the
// protocol makes its keys and values. Its methods turn it into a [Variant]
// that runs one of the textbook protocols, so that a user's own cache runs
// beside cache.Strong and cache.WeakValues with the same keys, values and
// request stream:
//
//	scenario.Map[string, Session]{Name: "mine", Holder: "SessionCache",
//		New:   func(scenario.Params) scenario.MapHolder[string, Session] { return NewSessionCache() },
//		Key:   func(i int) string { return fmt.Sprint("s", i) },
//		Value: func(i int, p scenario.Params) *Session { return newSession(i, p.Size) },
//	}.Store()
//
// The subject a Map variant builds keeps the holder alive until the run has
// measured it, watches the first values it drops for retention paths,
// names the holder on those paths, and waits after each GC cycle for a
// holder with an AwaitSweep method (cache.WeakValues with the Sweep
// strategy) to catch up.
type Map[K comparable, V any] struct {
	// Name is the variant's name, e.g. "weak".
	Name string
	// Holder names the holder's type in tables, e.g. "cache.WeakValues".
	Holder string
	// New returns an empty holder for one run.
	New func(p Params) MapHolder[K, V]
	// Key returns the key of the i-th value, for i from 0 to p.Objects-1;
	// it must return distinct keys for distinct i.
	Key func(i int) K
	// Value allocates the i-th value, of about p.Size bytes. Give it a
	// pointer field (or make it 16 bytes or more) unless the scenario
	// studies the tiny allocator, which packs small pointer-free objects
	// into shared blocks that are freed only together.
	Value func(i int, p Params) *V
	// Volatile names metrics of this variant that vary by design; see
	// [Variant].
	Volatile []string
}

// Store returns the variant that runs the store protocol. Populate
// allocates p.Objects values and puts each under its key, the callers
// keeping a reference to every one; Release drops the references to all
// but the first KeepCount(p.Objects, p.Keep) values (to all of them with
// Keep 0). A strong holder then still holds every value; a weak one only
// the kept ones, once GC cycles have run. Besides the common metrics it
// reports put_ns (the wall time of one Put during Populate, the value's
// allocation included) and bytes_per_entry (heap bytes held after Populate,
// per value stored).
func (m Map[K, V]) Store() Variant {
	m.validate("Store")
	return Variant{Name: m.Name, Holder: m.Holder, Volatile: m.Volatile, New: func(p Params) Subject {
		return &storeSubject[K, V]{m: m, p: p, h: m.New(p)}
	}}
}

// Requests returns the variant that runs the request-stream protocol, which
// measures a holder as a cache. Populate sends p.Extra["requests"] requests
// (default 200,000) for keys drawn from a Zipf distribution with exponent
// p.Extra["zipf_s"] (default 1.1, must be > 1) over p.Objects keys, the
// same stream for every variant. A request gets its key; on a miss it
// allocates the value and puts it; then the caller drops it — at once, or,
// with p.Extra["inflight"] = n > 0, once n later requests have started, as
// a server with n requests in flight would. Release does nothing. Besides
// the common metrics it reports hit_ratio (hits per request), gc_cycles
// (cycles during the stream) and alloc_bytes_per_request, and with
// requests in flight duplicates: the misses on a key whose value a request
// in flight still held, so that the caller built a second live value for
// it. The peak heap includes readings taken during the stream.
func (m Map[K, V]) Requests() Variant {
	m.validate("Requests")
	return Variant{Name: m.Name, Holder: m.Holder, Volatile: m.Volatile, New: func(p Params) Subject {
		return &requestSubject[K, V]{m: m, p: p, h: m.New(p)}
	}}
}

func (m Map[K, V]) validate(protocol string) {
	if m.New == nil || m.Key == nil || m.Value == nil {
		panic(fmt.Sprintf("scenario.Map{Name: %q}.%s: New, Key and Value must all be set", m.Name, protocol))
	}
}

// callers holds the callers' references to the values a protocol stored,
// and drops them on release.
type callers[V any] struct {
	refs []*V
	WitnessList
}

// release drops every reference but the first KeepCount of them, watching
// the first values it drops.
func (c *callers[V]) release(keep float64) {
	n := KeepCount(len(c.refs), keep)
	for _, v := range c.refs[n:] {
		if !c.Wants() {
			break
		}
		c.Add(Watch(v))
	}
	// Keep the kept references in an array of their own size: the old
	// one, sized for every object, is the runner's bookkeeping, and left
	// in place it would count as retained by the holder.
	if n == 0 {
		c.refs = nil
	} else {
		c.refs = slices.Clone(c.refs[:n])
	}
}

// unwrap returns the holder behind a MapFuncs, or h itself.
func unwrap(h any) any {
	if w, ok := h.(interface{ wrapped() any }); ok && w.wrapped() != nil {
		return w.wrapped()
	}
	return h
}

func (f MapFuncs[K, V]) wrapped() any { return f.Wrapped }

// awaitSweep lets a holder with per-cycle work of its own catch up (see
// [Quiescer]).
func awaitSweep(h any) {
	switch q := unwrap(h).(type) {
	case Quiescer:
		q.Quiesce()
	case interface{ AwaitSweep() }:
		q.AwaitSweep()
	}
}

type storeSubject[K comparable, V any] struct {
	m   Map[K, V]
	p   Params
	h   MapHolder[K, V]
	put time.Duration
	callers[V]
}

func (s *storeSubject[K, V]) Populate() {
	s.refs = make([]*V, 0, s.p.Objects)
	start := time.Now()
	for i := range s.p.Objects {
		v := s.m.Value(i, s.p)
		s.h.Put(s.m.Key(i), v)
		s.refs = append(s.refs, v)
	}
	s.put = time.Since(start)
}

func (s *storeSubject[K, V]) Measure(m map[string]float64) {
	n := float64(max(s.p.Objects, 1))
	m["put_ns"] = float64(s.put.Nanoseconds()) / n
	m["bytes_per_entry"] = m["held_bytes"] / n
}

func (s *storeSubject[K, V]) Release() { s.release(s.p.Keep) }
func (s *storeSubject[K, V]) Len() int { return s.h.Len() }
func (s *storeSubject[K, V]) Quiesce() { awaitSweep(s.h) }

// Labels names the holder on retention paths.
func (s *storeSubject[K, V]) Labels() map[uintptr]string {
	return Label(map[uintptr]string{}, unwrap(s.h))
}

func (s *storeSubject[K, V]) objectTypes() map[uintptr]reflect.Type { return typeOfHolder(s.h) }

type requestSubject[K comparable, V any] struct {
	m Map[K, V]
	p Params
	h MapHolder[K, V]

	hits, requests int
	duplicates     int
	inflight       int
	cycles         uint64
	allocated      uint64
	peak           uint64
}

func (s *requestSubject[K, V]) Populate() {
	n := int(s.p.ExtraOr("requests", 200_000))
	zs := s.p.ExtraOr("zipf_s", 1.1)
	rng := rand.New(rand.NewPCG(1, 2)) // the same stream for every variant
	z := rand.NewZipf(rng, zs, 1, uint64(max(s.p.Objects-1, 1)))
	if z == nil {
		panic(fmt.Sprintf("scenario: zipf_s = %g: want an exponent > 1", zs))
	}
	// The requests in flight: the values they hold, by request, and how
	// many of them hold a value of each key.
	s.inflight = int(s.p.ExtraOr("inflight", 0))
	inflight := make([]*V, s.inflight)
	inflightKeys := make([]K, s.inflight)
	holding := make(map[K]int, s.inflight)
	before := inspect.Read()
	peak := before.HeapObjectBytes
	for i := range n {
		if i%1024 == 0 {
			// The per-cycle readings come after each sweep; the heap is
			// largest just before a cycle, so look during the stream too.
			peak = max(peak, inspect.Read().HeapObjectBytes)
		}
		id := int(z.Uint64())
		k := s.m.Key(id)
		v, ok := s.h.Get(k)
		if ok && v != nil {
			s.hits++
		} else {
			if holding[k] > 0 {
				s.duplicates++
			}
			v = s.m.Value(id, s.p)
			s.h.Put(k, v)
		}
		if s.inflight > 0 {
			// This request holds v until inflight later ones have
			// started; the one it replaces finishes and drops its own.
			slot := i % s.inflight
			if inflight[slot] != nil {
				if holding[inflightKeys[slot]]--; holding[inflightKeys[slot]] == 0 {
					delete(holding, inflightKeys[slot])
				}
			}
			inflight[slot], inflightKeys[slot] = v, k
			holding[k]++
		}
		runtime.KeepAlive(v) // the request uses its value, then drops it
	}
	clear(inflight) // the stream ends: every request finishes
	after := inspect.Read()
	s.requests = n
	s.cycles = after.Cycle - before.Cycle
	s.allocated = after.AllocBytes - before.AllocBytes
	s.peak = max(peak, after.HeapObjectBytes)
}

func (s *requestSubject[K, V]) Release() {}
func (s *requestSubject[K, V]) Len() int { return s.h.Len() }
func (s *requestSubject[K, V]) Quiesce() { awaitSweep(s.h) }

func (s *requestSubject[K, V]) Labels() map[uintptr]string {
	return Label(map[uintptr]string{}, unwrap(s.h))
}

func (s *requestSubject[K, V]) objectTypes() map[uintptr]reflect.Type { return typeOfHolder(s.h) }

func (s *requestSubject[K, V]) Measure(m map[string]float64) {
	m["hit_ratio"] = float64(s.hits) / float64(max(s.requests, 1))
	m["gc_cycles"] = float64(s.cycles)
	m["alloc_bytes_per_request"] = float64(s.allocated) / float64(max(s.requests, 1))
	if s.inflight > 0 {
		m["duplicates"] = float64(s.duplicates)
	}
	m[report.PeakHeapBytes] = max(m[report.PeakHeapBytes], float64(s.peak))
}

// SetHolder is what the set protocol of [Set] needs of a set of *V: the
// methods of cache.StrongSet and cache.WeakSet, and of a listener
// registry.
type SetHolder[V any] interface {
	// Add adds v to the set.
	Add(v *V)
	// Len is the number of members, safe for concurrent use (see
	// [MapHolder]).
	Len() int
	// All yields the members: for a registry, the listeners an event is
	// delivered to.
	All() iter.Seq[*V]
}

// Set describes one variant of a set scenario, such as a listener
// registry: a set type and how the protocol makes its members.
type Set[V any] struct {
	// Name is the variant's name.
	Name string
	// Holder names the set's type in tables.
	Holder string
	// New returns an empty set for one run.
	New func(p Params) SetHolder[V]
	// Value allocates the i-th member, of about p.Size bytes (see
	// [Map.Value] on small objects).
	Value func(i int, p Params) *V
	// Volatile names metrics of this variant that vary by design.
	Volatile []string
}

// Store returns the variant that runs the set protocol. Populate adds
// p.Objects members, the owners keeping a reference to every one; Release
// drops all but the first KeepCount(p.Objects, p.Keep). After the final
// settle, one walk over All stands for delivering an event: the variant
// reports deliveries_per_event (members yielded) and lapsed_deliveries
// (yielded members whose owners had dropped them).
func (s Set[V]) Store() Variant {
	if s.New == nil || s.Value == nil {
		panic(fmt.Sprintf("scenario.Set{Name: %q}.Store: New and Value must both be set", s.Name))
	}
	return Variant{Name: s.Name, Holder: s.Holder, Volatile: s.Volatile, New: func(p Params) Subject {
		return &setSubject[V]{s: s, p: p, h: s.New(p)}
	}}
}

type setSubject[V any] struct {
	s Set[V]
	p Params
	h SetHolder[V]
	callers[V]
}

func (s *setSubject[V]) Populate() {
	s.refs = make([]*V, 0, s.p.Objects)
	for i := range s.p.Objects {
		v := s.s.Value(i, s.p)
		s.h.Add(v)
		s.refs = append(s.refs, v)
	}
}

func (s *setSubject[V]) Release() { s.release(s.p.Keep) }
func (s *setSubject[V]) Len() int { return s.h.Len() }
func (s *setSubject[V]) Quiesce() { awaitSweep(s.h) }

func (s *setSubject[V]) Labels() map[uintptr]string {
	return Label(map[uintptr]string{}, unwrap(s.h))
}

func (s *setSubject[V]) objectTypes() map[uintptr]reflect.Type { return typeOfHolder(s.h) }

// typeOfHolder gives the type of the value a holder behind an interface
// points to, so that retention paths go on naming fields through it.
func typeOfHolder(h any) map[uintptr]reflect.Type {
	v := reflect.ValueOf(unwrap(h))
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	return map[uintptr]reflect.Type{v.Pointer(): v.Type().Elem()}
}

func (s *setSubject[V]) Measure(m map[string]float64) {
	owned := make(map[*V]bool, len(s.refs))
	for _, v := range s.refs {
		owned[v] = true
	}
	deliveries, lapsed := 0, 0
	for v := range s.h.All() {
		deliveries++
		if !owned[v] {
			lapsed++
		}
	}
	m["deliveries_per_event"] = float64(deliveries)
	m["lapsed_deliveries"] = float64(lapsed)
}
