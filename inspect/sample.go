package inspect

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// Sample is one reading of the runtime's memory and GC state.
//
// Counters documented as cumulative only grow over the life of the process;
// the others are levels at the time of the reading.
type Sample struct {
	// Cycle is the number of completed GC cycles (/gc/cycles/total).
	Cycle uint64 `json:"cycle"`
	// Time is when the reading was taken.
	Time time.Time `json:"time"`
	// Phase labels the reading: the name passed to [Sampler.Mark], or the
	// phase that was current when a per-cycle reading was taken. Read
	// leaves it empty.
	Phase string `json:"phase,omitempty"`
	// Mark is true for a reading taken by [Sampler.Mark] and false for a
	// per-cycle reading taken by the Sampler itself.
	Mark bool `json:"mark,omitempty"`
	// Missed counts the GC cycles that completed since the previous
	// per-cycle reading without a reading of their own (see [Sampler]).
	Missed uint64 `json:"missed,omitempty"`
	// Probe is the value of the Sampler's probe ([WithProbe]) at the time of
	// the reading, or 0 when it has none.
	Probe int `json:"probe,omitempty"`

	// HeapLiveBytes is the heap memory occupied by objects that the most
	// recent GC cycle marked live (/gc/heap/live:bytes). It changes only
	// at the end of a cycle, so it is the right measure of retention.
	HeapLiveBytes uint64 `json:"heap_live_bytes"`
	// HeapObjectBytes is the heap memory occupied by live objects and by
	// dead ones not yet swept (/memory/classes/heap/objects:bytes). It grows
	// with every allocation, so its maximum is the peak heap.
	HeapObjectBytes uint64 `json:"heap_object_bytes"`
	// HeapObjects is the number of objects, live or not yet swept, on the
	// heap (/gc/heap/objects:objects). Right after runtime.GC, which sweeps
	// everything, it is the number of live objects.
	HeapObjects uint64 `json:"heap_objects"`
	// HeapGoalBytes is the heap size at which the next cycle is planned
	// to end (/gc/heap/goal:bytes).
	HeapGoalBytes uint64 `json:"heap_goal_bytes"`
	// AllocBytes is the cumulative number of bytes allocated on the heap
	// (/gc/heap/allocs:bytes).
	AllocBytes uint64 `json:"alloc_bytes"`
	// FreedBytes is the cumulative number of heap bytes freed by the
	// collector (/gc/heap/frees:bytes).
	FreedBytes uint64 `json:"freed_bytes"`
	// CleanupsQueued and CleanupsExecuted are the cumulative numbers of
	// cleanups (runtime.AddCleanup) queued to run and that have run.
	CleanupsQueued   uint64 `json:"cleanups_queued"`
	CleanupsExecuted uint64 `json:"cleanups_executed"`
	// FinalizersQueued and FinalizersExecuted are the same for finalizers
	// (runtime.SetFinalizer).
	FinalizersQueued   uint64 `json:"finalizers_queued"`
	FinalizersExecuted uint64 `json:"finalizers_executed"`
	// GCPause is the cumulative time the world was stopped for GC. The
	// runtime reports it as CPU time (/cpu/classes/gc/pause:cpu-seconds,
	// the pause multiplied by GOMAXPROCS); Read divides by the current
	// GOMAXPROCS, which is exact unless GOMAXPROCS changed during the run.
	GCPause time.Duration `json:"gc_pause_ns"`
}

// CaughtUp reports whether every cleanup and finalizer queued so far had
// run at the time of the reading.
func (s Sample) CaughtUp() bool {
	return s.CleanupsExecuted >= s.CleanupsQueued && s.FinalizersExecuted >= s.FinalizersQueued
}

// The metrics Read asks for, in the order readInto consumes them.
const (
	mCycles = iota
	mHeapLive
	mHeapObjectBytes
	mHeapObjects
	mHeapGoal
	mAllocs
	mFrees
	mCleanupsQueued
	mCleanupsExecuted
	mFinalizersQueued
	mFinalizersExecuted
	mPause
	mCount
)

var metricNames = [mCount]string{
	mCycles:             "/gc/cycles/total:gc-cycles",
	mHeapLive:           "/gc/heap/live:bytes",
	mHeapObjectBytes:    "/memory/classes/heap/objects:bytes",
	mHeapObjects:        "/gc/heap/objects:objects",
	mHeapGoal:           "/gc/heap/goal:bytes",
	mAllocs:             "/gc/heap/allocs:bytes",
	mFrees:              "/gc/heap/frees:bytes",
	mCleanupsQueued:     "/gc/cleanups/queued:cleanups",
	mCleanupsExecuted:   "/gc/cleanups/executed:cleanups",
	mFinalizersQueued:   "/gc/finalizers/queued:finalizers",
	mFinalizersExecuted: "/gc/finalizers/executed:finalizers",
	mPause:              "/cpu/classes/gc/pause:cpu-seconds",
}

// reader owns the one []metrics.Sample that Read reuses, so that a reading
// allocates nothing.
var reader = struct {
	sync.Mutex
	buf []metrics.Sample
}{buf: newMetricSamples()}

func newMetricSamples() []metrics.Sample {
	buf := make([]metrics.Sample, mCount)
	for i := range buf {
		buf[i].Name = metricNames[i]
	}
	return buf
}

// Read takes one reading of the runtime. It reads [runtime/metrics] only, so
// it does not stop the world, and it does not allocate. It is safe for
// concurrent use.
func Read() Sample {
	reader.Lock()
	defer reader.Unlock()
	metrics.Read(reader.buf)
	b := reader.buf
	u := func(i int) uint64 {
		if b[i].Value.Kind() != metrics.KindUint64 {
			return 0 // metric unknown to this runtime
		}
		return b[i].Value.Uint64()
	}
	s := Sample{
		Cycle:              u(mCycles),
		Time:               time.Now(),
		HeapLiveBytes:      u(mHeapLive),
		HeapObjectBytes:    u(mHeapObjectBytes),
		HeapObjects:        u(mHeapObjects),
		HeapGoalBytes:      u(mHeapGoal),
		AllocBytes:         u(mAllocs),
		FreedBytes:         u(mFrees),
		CleanupsQueued:     u(mCleanupsQueued),
		CleanupsExecuted:   u(mCleanupsExecuted),
		FinalizersQueued:   u(mFinalizersQueued),
		FinalizersExecuted: u(mFinalizersExecuted),
	}
	if v := b[mPause].Value; v.Kind() == metrics.KindFloat64 {
		s.GCPause = time.Duration(v.Float64() / float64(runtime.GOMAXPROCS(0)) * float64(time.Second))
	}
	return s
}
