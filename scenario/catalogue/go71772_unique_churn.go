package catalogue

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// The metrics of go71772-unique-churn, read at the end of every GC cycle
// during the churn.
const (
	// churnLiveBytes is the largest live heap (/gc/heap/live:bytes) at the
	// end of a cycle during the churn, minus the live heap when it began.
	churnLiveBytes = "churn_live_bytes"
	// cleanupBacklog is the largest number of cleanups queued and not yet
	// run at the end of a cycle during the churn.
	cleanupBacklog = "cleanup_backlog"
	// churnCycles is the number of GC cycles that ended during the churn.
	churnCycles = "churn_cycles"
	// gomaxprocs is runtime.GOMAXPROCS in the process that ran the churn.
	gomaxprocs = "gomaxprocs"
	// memoryLimit is the memory limit (GOMEMLIMIT) in the process that ran
	// the churn, or 0 when there is none.
	memoryLimit = "memory_limit_bytes"
	// cleanupGoroutines is the most goroutines the runtime runs cleanups
	// on: max(GOMAXPROCS/4, 1) in go1.26.8 and go1.27.3.
	cleanupGoroutines = "cleanup_goroutines"
)

// uniqueChurn is the go71772-unique-churn scenario.
func uniqueChurn() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "go71772-unique-churn",
		Description: "golang/go#71772: unique handles made and dropped by 8 goroutines outrun the one goroutine that runs cleanups, and the heap grows during the churn: measured on go1.26.8 and go1.27.3 (2 CPUs)",
		Explanation: `Reported as golang/go#71772 (https://github.com/golang/go/issues/71772,
filed in February 2025, open when we read it): memory held through
unique.Handle kept growing on a server's small Linux machines but not on a
large macOS laptop. The reporter traced it in the thread to the number of
goroutines making new handles: they overwhelmed the single goroutine that
removed dead entries from unique's internal map. unique now removes each
entry with a runtime.AddCleanup of its own (go1.26.8 and go1.27.3,
unique/canonmap.go), but the runtime runs cleanups on at most
max(GOMAXPROCS/4, 1) goroutines (runtime/mcleanup.go, maxCleanupGs): one
on a machine with fewer than 8 CPUs. That goroutine is scheduled like any
other, so more producers leave it further behind, and an entry stays
until its cleanup has run.

Producers make Objects handles in all, to new strings of Size bytes, each
producer keeping only its last 64: one producer, eight producers, and for
comparison eight producers keeping plain strings (no unique). The runtime's
counters are read every millisecond during the churn: cleanup_backlog is
the most cleanups queued and not yet run, churn_live_bytes the largest live
heap at the end of a cycle, above the start. Measured on 2 CPUs, go1.26.8
and go1.27.3 alike (medians of 3 runs): with eight producers the live heap
grows with the handles made, 8 to 9 MiB at 100,000, 19 to 21 MiB at
200,000, 35 to 38 MiB at 400,000 and 58 to 63 MiB at 800,000, with 47,000
to 175,000 cleanups waiting at once; one producer's stays between 3.3 and
4.1 MiB with under 20,000 waiting, and plain strings' under 3 MiB. With
GOMAXPROCS=1 one producer falls behind too. Once the producers stop, the
cleanups catch up and everything is released. With 8 or more CPUs the
runtime runs more cleanup goroutines, and the comparisons are reported, not
asserted; so are they under a memory limit below 64 MiB, where the
collector, running back to back, slows the producers down (under 4 MiB,
10,000 to 33,000 cleanups waited at once at 200,000 handles).`,
		Defaults: Params{Objects: 200_000, Size: 64, Extra: map[string]float64{"window": 64}},
		Variants: []scenario.Variant{
			{Name: "unique-1-producer", Holder: "unique.Handle[string]", New: func(p Params) scenario.Subject { return &churnSubject{p: p, producers: 1, intern: true} }},
			{Name: "unique-8-producers", Holder: "unique.Handle[string]", New: func(p Params) scenario.Subject { return &churnSubject{p: p, producers: 8, intern: true} }},
			{Name: "strings-8-producers", Holder: "string", New: func(p Params) scenario.Subject { return &churnSubject{p: p, producers: 8} }},
		},
		Expectations: []scenario.Expectation{
			// Counted in objects, not bytes: the runner's own timeline,
			// one reading per GC cycle, grows past its preallocated room
			// when thousands of cycles run during the churn (under a
			// tight GOMEMLIMIT), and its bytes count as retained.
			{Text: "once the producers stop, the cleanups catch up and unique lets go of every entry: each unique variant retains at most 1,000 heap objects", Check: scenario.AllOf(
				scenario.AtMost("unique-1-producer", report.RetainedObjects, scenario.Const(1000)),
				scenario.AtMost("unique-8-producers", report.RetainedObjects, scenario.Const(1000)))},
			{Text: "with one cleanup goroutine, eight producers outrun it: at some point at least 5% of the handles made wait for their cleanup at once, and the live heap during the churn peaks at least 4× as high as with plain strings", Check: outrunCheck},
			{Text: "with one cleanup goroutine and two or more CPUs, eight producers' live heap during the churn peaks at least twice as high as one producer's (on one CPU, one producer outruns it too)", Check: producersCheck},
		},
	}
}

// outrunCheck is the comparison the report is about: unique's entries
// waiting for their cleanups against the same churn of plain strings.
var outrunCheck = whenOutrun(map[string]float64{"unique-8-producers": 2, "strings-8-producers": 1},
	func(m scenario.Measured, p Params) (bool, string) {
		const many, plain = "unique-8-producers", "strings-8-producers"
		return scenario.AllOf(
			scenario.AtLeast(many, cleanupBacklog, scenario.ObjectCount.Scaled(0.05)),
			scenario.AtLeast(many, churnLiveBytes, scenario.Const(4*m.Get(plain, churnLiveBytes))),
		)(m, p)
	})

// producersCheck compares eight producers with one. One producer's live
// heap during the churn is about what one cycle's garbage leaves waiting,
// eight producers' about what the whole churn leaves, so the two differ by
// as many times as one producer's churn spans cycles (times the share of
// the handles left waiting): they are compared only when it spans at least
// 8 (at GOGC=400 it spans one or two, and that one cycle's garbage is most
// of the churn); and only with two or more CPUs, since on one even one
// producer outruns the cleanup goroutine.
var producersCheck = whenOutrun(map[string]float64{"unique-8-producers": 2, "unique-1-producer": 8},
	func(m scenario.Measured, p Params) (bool, string) {
		if procs := m.Get("unique-8-producers", gomaxprocs); !(procs >= 2) {
			return true, fmt.Sprintf("not asserted: GOMAXPROCS is %v", procs)
		}
		return scenario.AtLeast("unique-8-producers", churnLiveBytes, scenario.Const(2*m.Get("unique-1-producer", churnLiveBytes)))(m, p)
	})

// tightMemoryLimit is the memory limit under which the churn's
// comparisons are not asserted: the 8 producers' churn at the default size
// reaches a live heap of about 20 MiB, and under a limit that it presses
// on the collector runs back to back and its assists slow the producers
// down, so that the cleanup goroutine falls behind less (under 4 MiB: 10,000
// to 33,000 cleanups waiting at 200,000 handles, and a live heap only 2 to
// 5 times plain strings').
const tightMemoryLimit = 64 << 20

// whenOutrun asserts check only where the report's conditions hold: a
// single cleanup goroutine (fewer than 8 CPUs in go1.26.8 and go1.27.3),
// no tight memory limit, and churns long enough to compare: at least
// minCycles GC cycles ending during each variant's churn (a GOGC=off run
// has none). Elsewhere it passes, saying why it was not asserted.
func whenOutrun(minCycles map[string]float64, check scenario.Check) scenario.Check {
	return func(m scenario.Measured, p Params) (bool, string) {
		if g := m.Get("unique-8-producers", cleanupGoroutines); g != 1 {
			return true, fmt.Sprintf("not asserted: the runtime runs cleanups on up to %v goroutines here", g)
		}
		if l := m.Get("unique-8-producers", memoryLimit); l > 0 && l < tightMemoryLimit {
			return true, fmt.Sprintf("not asserted: a memory limit of %s makes the collector slow the producers down", report.FormatBytes(l))
		}
		for _, v := range slices.Sorted(maps.Keys(minCycles)) {
			if c := m.Get(v, churnCycles); !(c >= minCycles[v]) {
				return true, fmt.Sprintf("not asserted: %s saw %v GC cycles during its churn, fewer than %v", v, c, minCycles[v])
			}
		}
		return check(m, p)
	}
}

// churnSubject runs producers that each make new strings, intern them with
// unique.Make (or keep them as they are) and keep only the last window of
// them, while it watches every GC cycle.
type churnSubject struct {
	p         Params
	producers int
	intern    bool

	held atomic.Int64 // values the producers' windows hold: Len

	handles [][]unique.Handle[string]
	strs    [][]string

	// The readings during the churn (see watch).
	start                 inspect.Sample
	peakLive, peakBacklog uint64
	cycles                uint64
}

func (s *churnSubject) Populate() {
	window := max(int(s.p.ExtraOr("window", 64)), 1)
	s.start = inspect.Read()
	done := make(chan struct{})
	watched := make(chan struct{})
	go s.watch(done, watched)
	s.handles = make([][]unique.Handle[string], s.producers)
	s.strs = make([][]string, s.producers)
	var wg sync.WaitGroup
	for g := range s.producers {
		n := s.p.Objects / s.producers
		if g < s.p.Objects%s.producers {
			n++
		}
		wg.Go(func() { s.produce(g, n, min(window, n)) })
	}
	wg.Wait()
	close(done)
	<-watched
	s.cycles = inspect.Read().Cycle - s.start.Cycle
}

// watch reads the runtime's counters every millisecond until done is
// closed, keeping the largest live heap and cleanup backlog seen. It polls
// rather than waiting for the end of each cycle with inspect.OnCycle,
// whose wake-up comes through the same cleanup queue whose backlog it
// would measure, and so only once the backlog ahead of it has run.
func (s *churnSubject) watch(done <-chan struct{}, watched chan<- struct{}) {
	defer close(watched)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		r := inspect.Read()
		if r.Cycle > s.start.Cycle {
			s.peakLive = max(s.peakLive, r.HeapLiveBytes)
		}
		if r.CleanupsQueued > r.CleanupsExecuted {
			s.peakBacklog = max(s.peakBacklog, r.CleanupsQueued-r.CleanupsExecuted)
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// produce makes n values of producer g, keeping the last window of them.
func (s *churnSubject) produce(g, n, window int) {
	var ring []unique.Handle[string]
	var plain []string
	if s.intern {
		ring = make([]unique.Handle[string], window)
	} else {
		plain = make([]string, window)
	}
	buf := make([]byte, 0, max(s.p.Size, 24))
	for i := range n {
		buf = strconv.AppendInt(append(strconv.AppendInt(buf[:0], int64(g), 10), ':'), int64(i), 36)
		for len(buf) < s.p.Size {
			buf = append(buf, '.')
		}
		if i < window {
			s.held.Add(1)
		}
		if s.intern {
			ring[i%window] = unique.Make(string(buf))
		} else {
			plain[i%window] = string(buf)
		}
	}
	s.handles[g], s.strs[g] = ring, plain
}

func (s *churnSubject) Release() {
	s.handles, s.strs = nil, nil
	s.held.Store(0)
}

// Len is the number of values the producers hold.
func (s *churnSubject) Len() int { return int(s.held.Load()) }

func (s *churnSubject) Measure(m map[string]float64) {
	m[churnLiveBytes] = 0 // no cycle ended during the churn: no live heap was measured
	if s.peakLive > 0 {
		m[churnLiveBytes] = float64(int64(s.peakLive) - int64(s.start.HeapLiveBytes))
	}
	m[cleanupBacklog] = float64(s.peakBacklog)
	m[churnCycles] = float64(s.cycles)
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 {
		m[memoryLimit] = float64(limit)
	} else {
		m[memoryLimit] = 0
	}
	procs := runtime.GOMAXPROCS(0)
	m[gomaxprocs] = float64(procs)
	m[cleanupGoroutines] = float64(max(procs/4, 1))
	runtime.KeepAlive(s.handles)
}
