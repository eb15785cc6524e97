package catalogue

import (
	"slices"
	"sync/atomic"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
)

// Params is short for the framework's parameters, which every scenario here
// takes.
type Params = scenario.Params

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

// newValue makes the i-th object of a Map or Set protocol.
func newValue(i int, p Params) *object { return newObject(i, p.Size) }

// intKey is the i-th key of the catalogue's maps: i itself.
func intKey(i int) int { return i }

// keeper holds the callers' references to the objects and drops them on
// release, keeping the first Keep fraction. It watches the first objects it
// drops.
type keeper struct {
	refs []*object
	scenario.WitnessList
}

func (k *keeper) release(keep float64) {
	n := scenario.KeepCount(len(k.refs), keep)
	for _, o := range k.refs[n:] {
		if !k.Wants() {
			break
		}
		k.Add(scenario.Watch(o))
	}
	// Keep the kept references in an array of their own size: the old
	// one, sized for every object, is the runner's bookkeeping, and left
	// in place it would count as retained by the holder.
	if n == 0 {
		k.refs = nil
	} else {
		k.refs = slices.Clone(k.refs[:n])
	}
}

// intMap describes a catalogue map variant over the catalogue's objects.
func intMap(name, holder string, newHolder func(Params) scenario.MapHolder[int, object]) scenario.Map[int, object] {
	return scenario.Map[int, object]{Name: name, Holder: holder, New: newHolder, Key: intKey, Value: newValue}
}

// strongAndWeakMaps are the variants of the textbook map scenarios: the
// strong cache and a weak-value map holding the same objects, through the
// framework's store protocol.
func strongAndWeakMaps() []scenario.Variant {
	return []scenario.Variant{
		intMap("strong", "cache.Strong", func(Params) scenario.MapHolder[int, object] { return cache.NewStrong[int, object]() }).Store(),
		intMap("weak", "cache.WeakValues", func(Params) scenario.MapHolder[int, object] { return cache.NewWeakValues[int, object]() }).Store(),
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
