package inspect_test

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weakscope/weakscope/inspect"
)

var sink []*node

// churn allocates about n bytes of short-lived objects, enough to trigger
// automatic GC cycles on a small heap.
func churn(n int) {
	for i := 0; i < n/64; i++ {
		sink = append(sink, newNode())
		if len(sink) == 1024 {
			sink = sink[:0]
		}
	}
}

func TestSamplerRecordsEveryForcedCycle(t *testing.T) {
	const forced = 20
	var entries atomic.Int64 // the probe runs on the Sampler's goroutine
	s := inspect.NewSampler(inspect.WithProbe(func() int { return int(entries.Load()) }), inspect.WithCapacity(256))
	s.Start()
	s.Mark("populate")

	var forcedCycles []uint64
	for i := range forced {
		churn(12 << 20) // automatic cycles happen here
		entries.Store(int64(i + 1))
		// If an automatic cycle is under way, runtime.GC waits for it and
		// then runs its own, so the count right after it returns is the
		// forced cycle either way: nothing else allocates meanwhile.
		runtime.GC()
		c := inspect.Read().Cycle
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.Sync(ctx)
		cancel()
		if err != nil {
			t.Fatalf("forced cycle %d: Sync: %v", c, err)
		}
		forcedCycles = append(forcedCycles, c)
	}
	t.Logf("Sync read %d of %d forced cycles itself", inspect.Fallbacks(s), forced)
	tl := s.Stop()

	if len(tl) < 3 || tl[0].Phase != "start" || !tl[0].Mark || tl[len(tl)-1].Phase != "stop" || !tl[len(tl)-1].Mark {
		t.Fatalf("timeline does not run from a start mark to a stop mark: %d readings", len(tl))
	}
	var got []uint64
	for i, r := range tl {
		if i > 0 && r.Cycle < tl[i-1].Cycle {
			t.Errorf("reading %d: cycle %d after %d", i, r.Cycle, tl[i-1].Cycle)
		}
		if !r.Mark {
			got = append(got, r.Cycle)
			if r.Phase != "populate" {
				t.Errorf("cycle %d labelled %q, want populate", r.Cycle, r.Phase)
			}
		}
	}
	for _, c := range forcedCycles {
		if !slices.Contains(got, c) {
			t.Errorf("forced cycle %d has no reading; per-cycle readings: %v", c, got)
		}
	}
	sampled, missed := inspect.CycleCounts(tl)
	delta := tl[len(tl)-1].Cycle - tl[0].Cycle
	if sampled+missed != delta {
		t.Errorf("sampled %d + missed %d != %d cycles between start and stop", sampled, missed, delta)
	}
	if delta <= forced {
		t.Errorf("no automatic cycle ran (%d cycles for %d forced): churn too small to test them", delta, forced)
	}
	if last := tl[len(tl)-1]; last.Probe != forced {
		t.Errorf("probe in the stop reading = %d, want %d", last.Probe, forced)
	}
}

// Without other allocation, every forced cycle finds the sentinel armed
// before it started, so the sentinel alone records each of them.
func TestSamplerSentinelAlone(t *testing.T) {
	s := inspect.NewSampler()
	s.Start()
	for range 20 {
		runtime.GC()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.Sync(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	fallbacks := inspect.Fallbacks(s)
	tl := s.Stop()
	if fallbacks != 0 {
		t.Errorf("Sync had to read %d of 20 forced cycles itself; the sentinel missed them", fallbacks)
	}
	sampled, missed := inspect.CycleCounts(tl)
	if sampled < 20 || sampled+missed != tl[len(tl)-1].Cycle-tl[0].Cycle {
		t.Errorf("sampled %d, missed %d, over %d cycles", sampled, missed, tl[len(tl)-1].Cycle-tl[0].Cycle)
	}
}

func TestSamplerStopIsIdempotentAndRestartable(t *testing.T) {
	s := inspect.NewSampler()
	if tl := s.Stop(); tl != nil {
		t.Errorf("Stop before Start = %d readings, want nil", len(tl))
	}
	s.Start()
	s.Start() // no effect
	runtime.GC()
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := s.Stop()
	if s.Stop() != nil {
		t.Error("second Stop returned a timeline")
	}
	s.Start()
	second := s.Stop()
	if len(first) < 3 || len(second) < 2 || second[0].Phase != "start" {
		t.Errorf("timelines: first %d readings, second %d (starting %q)", len(first), len(second), second[0].Phase)
	}
}

func TestSamplerMarkOutsideRun(t *testing.T) {
	s := inspect.NewSampler()
	r := s.Mark("idle")
	if r.Phase != "idle" || !r.Mark || r.Cycle == 0 && r.HeapObjects == 0 {
		t.Errorf("Mark on a stopped sampler = %+v", r)
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Errorf("Sync on a stopped sampler: %v", err)
	}
}
