package scenario

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario/cache"
)

// object is the catalogue's payload: a header with a pointer field, so the
// tiny allocator never batches it, and a body of the scenario's size. The
// two are separate allocations, so every object counts as two heap objects.
type object struct {
	id   int
	next *object
	body []byte
}

func newObject(id, size int) *object {
	return &object{id: id, body: make([]byte, size)}
}

// kept is how many of n objects the callers keep for a keep fraction.
func kept(n int, keep float64) int {
	return int(math.Round(float64(n) * keep))
}

// extra returns a scenario-specific parameter, or def when it is not set.
func extra(p Params, name string, def float64) float64 {
	if v, ok := p.Extra[name]; ok {
		return v
	}
	return def
}

// keeper holds the callers' references to the objects and drops them on
// release, keeping the first Keep fraction. It watches the first objects it
// drops.
type keeper struct {
	refs []*object
	witnesses
}

func (k *keeper) release(keep float64) {
	n := kept(len(k.refs), keep)
	for _, o := range k.refs[n:min(n+maxWitnesses, len(k.refs))] {
		watch(&k.witnesses, o)
	}
	clear(k.refs[n:])
	k.refs = k.refs[:n]
}

// holder is what the map scenarios need of a map from int to *object.
type holder interface {
	Put(k int, v *object)
	Len() int
}

// mapSubject fills a map holder with Objects objects and releases all but
// the Keep fraction.
type mapSubject struct {
	p Params
	m holder
	keeper
}

func (s *mapSubject) Populate() {
	s.refs = make([]*object, 0, s.p.Objects)
	for i := range s.p.Objects {
		o := newObject(i, s.p.Size)
		s.m.Put(i, o)
		s.refs = append(s.refs, o)
	}
}

func (s *mapSubject) Release() { s.release(s.p.Keep) }
func (s *mapSubject) Len() int { return s.m.Len() }

// Labels names the holder, for retention paths.
func (s *mapSubject) Labels() map[uintptr]string { return labelOf(map[uintptr]string{}, s.m) }

// Quiesce waits for a Sweep map's sweep to catch up with the latest cycle.
func (s *mapSubject) Quiesce() {
	if a, ok := s.m.(interface{ AwaitSweep() }); ok {
		a.AwaitSweep()
	}
}

// strongAndWeakMaps are the variants of the textbook map scenarios: the
// strong cache and a weak-value map holding the same objects.
func strongAndWeakMaps() []Variant {
	return []Variant{
		{Name: "strong", Holder: "cache.Strong", New: func(p Params) Subject {
			return &mapSubject{p: p, m: cache.NewStrong[int, object]()}
		}},
		{Name: "weak", Holder: "cache.WeakValues", New: func(p Params) Subject {
			return &mapSubject{p: p, m: cache.NewWeakValues[int, object]()}
		}},
	}
}

// counted is a subject whose Len is the number of objects not yet known to
// be collected: objects minus the cleanups or finalizers that have run.
type counted struct {
	total atomic.Int64
	ran   atomic.Int64
}

func (c *counted) Len() int { return int(c.total.Load() - c.ran.Load()) }

func (c *counted) measureRan(m map[string]float64) {
	m[report.CleanupsRun] = float64(c.ran.Load())
}

// Checks used by the catalogue's expectations. Each returns the verdict and
// the numbers that decided it.

func metricEquals(variant, metric string, want func(Params) float64) func(Measured, Params) (bool, string) {
	return func(m Measured, p Params) (bool, string) {
		got, w := m.Get(variant, metric), want(p)
		return got == w, fmt.Sprintf("%s %s = %s, want %s", variant, metric, num(got), num(w))
	}
}

func metricAtMost(variant, metric string, limit func(Params) float64) func(Measured, Params) (bool, string) {
	return func(m Measured, p Params) (bool, string) {
		got, l := m.Get(variant, metric), limit(p)
		return got <= l, fmt.Sprintf("%s %s = %s, limit %s", variant, metric, num(got), num(l))
	}
}

func metricAtLeast(variant, metric string, floor func(Params) float64) func(Measured, Params) (bool, string) {
	return func(m Measured, p Params) (bool, string) {
		got, f := m.Get(variant, metric), floor(p)
		return got >= f, fmt.Sprintf("%s %s = %s, floor %s", variant, metric, num(got), num(f))
	}
}

// less checks a's metric < b's metric.
func less(a, b, metric string) func(Measured, Params) (bool, string) {
	return func(m Measured, _ Params) (bool, string) {
		x, y := m.Get(a, metric), m.Get(b, metric)
		return x < y, fmt.Sprintf("%s %s = %s, %s %s = %s", a, metric, num(x), b, metric, num(y))
	}
}

// atLeastAs checks a's metric ≥ b's metric.
func atLeastAs(a, b, metric string) func(Measured, Params) (bool, string) {
	return func(m Measured, _ Params) (bool, string) {
		x, y := m.Get(a, metric), m.Get(b, metric)
		return x >= y, fmt.Sprintf("%s %s = %s, %s %s = %s", a, metric, num(x), b, metric, num(y))
	}
}

func all(checks ...func(Measured, Params) (bool, string)) func(Measured, Params) (bool, string) {
	return func(m Measured, p Params) (bool, string) {
		pass := true
		var details []string
		for _, c := range checks {
			ok, d := c(m, p)
			pass = pass && ok
			details = append(details, d)
		}
		return pass, strings.Join(details, "; ")
	}
}

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "not measured"
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.3g", x)
}

func objectsOf(p Params) float64 { return float64(p.Objects) }
func keptOf(p Params) float64    { return float64(kept(p.Objects, p.Keep)) }
func droppedOf(p Params) float64 { return float64(p.Objects - kept(p.Objects, p.Keep)) }
func zero(Params) float64        { return 0 }
func constant(x float64) func(Params) float64 {
	return func(Params) float64 { return x }
}
