package inspect_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"go.uber.org/goleak"

	"github.com/weakscope/weakscope/inspect"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// node has a pointer field, so the tiny allocator never batches it and its
// collection is observable, as in the standard library's weak tests.
type node struct {
	next *node
	_    [4]uint64
}

//go:noinline
func newNode() *node { return &node{} }

//go:noinline
func droppedPointer() weak.Pointer[node] { return weak.Make(newNode()) }

func TestReadDoesNotAllocate(t *testing.T) {
	inspect.Read() // warm up
	if n := testing.AllocsPerRun(100, func() { inspect.Read() }); n != 0 {
		t.Fatalf("Read allocates %v times per call, want 0", n)
	}
}

func TestReadTracksCollector(t *testing.T) {
	before := inspect.Read()
	runtime.GC()
	after := inspect.Read()
	if after.Cycle <= before.Cycle {
		t.Errorf("Cycle after runtime.GC = %d, want > %d", after.Cycle, before.Cycle)
	}
	if after.HeapLiveBytes == 0 || after.HeapObjects == 0 || after.HeapGoalBytes == 0 {
		t.Errorf("heap levels not read: %+v", after)
	}
	if after.AllocBytes < before.AllocBytes || after.AllocBytes < after.FreedBytes {
		t.Errorf("cumulative counters inconsistent: before %+v after %+v", before, after)
	}
	if after.GCPause <= 0 || after.GCPause < before.GCPause {
		t.Errorf("GCPause = %v (before %v), want a positive, growing total", after.GCPause, before.GCPause)
	}
	if !after.Time.After(before.Time) && !after.Time.Equal(before.Time) {
		t.Errorf("Time went backwards: %v then %v", before.Time, after.Time)
	}
}

func TestWaitCollectedDropped(t *testing.T) {
	p := droppedPointer()
	cycles, err := inspect.WaitCollected(context.Background(), p)
	if err != nil || cycles != 1 {
		t.Fatalf("WaitCollected = %d, %v; want 1 cycle, nil", cycles, err)
	}
}

func TestWaitCollectedAlreadyGone(t *testing.T) {
	p := droppedPointer()
	runtime.GC()
	if cycles, err := inspect.WaitCollected(context.Background(), p); err != nil || cycles != 0 {
		t.Fatalf("WaitCollected = %d, %v; want 0 cycles, nil", cycles, err)
	}
}

func TestWaitCollectedStillReachable(t *testing.T) {
	n := newNode()
	start := time.Now()
	cycles, err := inspect.WaitCollected(context.Background(), weak.Make(n), inspect.WithMaxCycles(4))
	runtime.KeepAlive(n)
	if !errors.Is(err, inspect.ErrStillReachable) {
		t.Fatalf("WaitCollected error = %v, want ErrStillReachable", err)
	}
	if cycles != 4 || !strings.Contains(err.Error(), "still reachable after 4 GC cycles") {
		t.Errorf("WaitCollected = %d, %q; want 4 cycles named in the error", cycles, err)
	}
	if d := time.Since(start); d > inspect.DefaultTimeout {
		t.Errorf("WaitCollected took %v, longer than its time budget", d)
	}
}

func TestWaitCollectedTimeBudget(t *testing.T) {
	n := newNode()
	_, err := inspect.WaitCollected(context.Background(), weak.Make(n),
		inspect.WithMaxCycles(1<<30), inspect.WithTimeout(50*time.Millisecond))
	runtime.KeepAlive(n)
	if !errors.Is(err, inspect.ErrStillReachable) {
		t.Fatalf("WaitCollected error = %v, want ErrStillReachable once the time budget ran out", err)
	}
}

func TestWaitCollectedContext(t *testing.T) {
	n := newNode()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := inspect.WaitCollected(ctx, weak.Make(n))
	runtime.KeepAlive(n)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitCollected error = %v, want context.Canceled", err)
	}
}

// fakeT records what VerifyCollected reports.
type fakeT struct{ errors []string }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestVerifyCollected(t *testing.T) {
	var ok fakeT
	inspect.VerifyCollected(&ok, droppedPointer())
	if len(ok.errors) != 0 {
		t.Errorf("VerifyCollected failed a collected object: %q", ok.errors)
	}

	var bad fakeT
	n := newNode()
	inspect.VerifyCollected(&bad, weak.Make(n), inspect.WithMaxCycles(3))
	runtime.KeepAlive(n)
	if len(bad.errors) != 1 || !strings.Contains(bad.errors[0], "after 3 GC cycles") {
		t.Errorf("VerifyCollected on a live object reported %q, want one failure naming 3 cycles", bad.errors)
	}
}

// withCleanups allocates n objects, each with a cleanup that increments
// ran, and drops them all.
//
//go:noinline
func withCleanups(n int, ran *atomic.Int64) {
	for range n {
		runtime.AddCleanup(newNode(), func(c *atomic.Int64) { c.Add(1) }, ran)
	}
}

func TestSettleRunsEveryCleanup(t *testing.T) {
	const n = 10_000
	var ran atomic.Int64
	withCleanups(n, &ran)
	res, err := inspect.Settle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.After.CaughtUp() {
		t.Errorf("after Settle: cleanups %d/%d, finalizers %d/%d executed/queued",
			res.After.CleanupsExecuted, res.After.CleanupsQueued, res.After.FinalizersExecuted, res.After.FinalizersQueued)
	}
	if got := ran.Load(); got != n {
		t.Errorf("cleanups ran %d times, want %d", got, n)
	}
	if res.Cycles < 2 || res.Cycles > inspect.DefaultMaxCycles {
		t.Errorf("Settle took %d cycles, want 2..%d", res.Cycles, inspect.DefaultMaxCycles)
	}
	if res.After.Cycle-res.Before.Cycle < uint64(res.Cycles) {
		t.Errorf("Settle says %d cycles, counter moved %d", res.Cycles, res.After.Cycle-res.Before.Cycle)
	}
}

func TestSettleFinalizerChain(t *testing.T) {
	// A chain of k finalizers needs k cycles: each finalizer keeps the rest
	// of the chain reachable until it has run. Settle must keep going.
	const k = 4
	var ran atomic.Int64
	func() {
		var head *node
		for range k {
			n := &node{next: head}
			runtime.SetFinalizer(n, func(*node) { ran.Add(1) })
			head = n
		}
	}()
	res, err := inspect.Settle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := ran.Load(); got != k {
		t.Errorf("finalizers ran %d times, want %d (Settle: %+v cycles, settled %v)", got, k, res.Cycles, res.Settled)
	}
	if res.Cycles < k {
		t.Errorf("Settle took %d cycles for a chain of %d finalizers, want at least %d", res.Cycles, k, k)
	}
}

func TestSettleProbeBudget(t *testing.T) {
	var calls int
	moving := func() int { calls++; return calls }
	res, err := inspect.Settle(context.Background(), inspect.WithProbe(moving), inspect.WithMaxCycles(5))
	if err != nil {
		t.Fatal(err)
	}
	if res.Settled || res.TimedOut || res.Cycles != 5 {
		t.Errorf("Settle with a probe that always moves: settled %v, timed out %v, %d cycles; want false, false, 5",
			res.Settled, res.TimedOut, res.Cycles)
	}
	if len(res.Probes) != 1 || res.Probes[0] != calls {
		t.Errorf("Probes = %v, want the last value %d", res.Probes, calls)
	}
}

func TestSettleProbeSettles(t *testing.T) {
	still := func() int { return 7 }
	res, err := inspect.Settle(context.Background(), inspect.WithProbe(still))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Settled || len(res.Probes) != 1 || res.Probes[0] != 7 {
		t.Errorf("Settle with a still probe: settled %v, probes %v; want true, [7]", res.Settled, res.Probes)
	}
}

func TestSettleContextStopsPromptly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := inspect.Settle(ctx)
	if !errors.Is(err, context.Canceled) || res.Cycles != 0 {
		t.Fatalf("Settle on a cancelled context = %d cycles, %v; want 0, context.Canceled", res.Cycles, err)
	}
}

func TestSettleTimeBudget(t *testing.T) {
	moving := func() int { return int(time.Now().UnixNano()) }
	start := time.Now()
	res, err := inspect.Settle(context.Background(), inspect.WithProbe(moving),
		inspect.WithMaxCycles(1<<30), inspect.WithTimeout(30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if res.Settled || !res.TimedOut {
		t.Errorf("settled %v, timed out %v; want false, true", res.Settled, res.TimedOut)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Settle with a 30ms budget took %v", d)
	}
}

func TestWriteHeapProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := inspect.WriteHeapProfile(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatalf("heap profile is not gzipped: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("heap profile does not decompress: %d bytes, %v", len(raw), err)
	}
	// Every pprof profile names its sample types; a heap profile has inuse_space.
	if !bytes.Contains(raw, []byte("inuse_space")) {
		t.Error("heap profile does not name the inuse_space sample type")
	}
}

// WithAfterCycle runs once after every forced cycle, before the probes are
// read, and its error ends Settle.
func TestSettleAfterCycle(t *testing.T) {
	var order []string
	after := func(context.Context) error { order = append(order, "after"); return nil }
	probe := func() int { order = append(order, "probe"); return 1 }
	res, err := inspect.Settle(context.Background(), inspect.WithProbe(probe), inspect.WithAfterCycle(after), inspect.WithMaxCycles(4))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"probe"} // before the first cycle
	for range res.Cycles {
		want = append(want, "after", "probe")
	}
	if !slices.Equal(order, want) {
		t.Errorf("calls %v, want %v", order, want)
	}

	stop := errors.New("stop")
	calls := 0
	res, err = inspect.Settle(context.Background(), inspect.WithAfterCycle(func(context.Context) error { calls++; return stop }))
	if !errors.Is(err, stop) || calls != 1 || res.Cycles != 1 {
		t.Errorf("after an error: err %v, %d calls, %d cycles; want stop, 1, 1", err, calls, res.Cycles)
	}
}
