package inspect_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"weak"

	"github.com/weakscope/weakscope/inspect"
)

// Report stands for any object a program might cache. It has a pointer
// field, so the runtime tracks it individually.
type Report struct {
	ID   string
	Body []byte
}

func ExampleSettle() {
	var closed atomic.Int64
	func() {
		for i := range 100 {
			r := &Report{ID: fmt.Sprint(i)}
			runtime.AddCleanup(r, func(n *atomic.Int64) { n.Add(1) }, &closed)
		}
	}() // every report is unreachable from here on

	res, err := inspect.Settle(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("settled:", res.Settled)
	fmt.Println("cleanups run:", closed.Load())
	fmt.Println("all caught up:", res.After.CaughtUp())
	// Output:
	// settled: true
	// cleanups run: 100
	// all caught up: true
}

func ExampleWaitCollected() {
	kept := &Report{ID: "Q1"}
	dropped := weak.Make(&Report{ID: "Q2"})

	cycles, err := inspect.WaitCollected(context.Background(), dropped)
	fmt.Println("dropped report:", cycles, "cycle(s),", err)

	_, err = inspect.WaitCollected(context.Background(), weak.Make(kept), inspect.WithMaxCycles(3))
	fmt.Println("kept report:", err)
	runtime.KeepAlive(kept)
	// Output:
	// dropped report: 1 cycle(s), <nil>
	// kept report: inspect: object still reachable after 3 GC cycles
}

func ExampleSampler() {
	var cache []*Report
	s := inspect.NewSampler(inspect.WithProbe(func() int { return len(cache) }))
	s.Start()

	s.Mark("populate")
	for i := range 1000 {
		cache = append(cache, &Report{ID: fmt.Sprint(i)})
	}
	runtime.GC()
	if err := s.Sync(context.Background()); err != nil { // the forced cycle is in the timeline
		panic(err)
	}

	s.Mark("release")
	cache = nil
	runtime.GC()
	if err := s.Sync(context.Background()); err != nil {
		panic(err)
	}

	timeline := s.Stop()
	for _, r := range timeline {
		if r.Mark {
			fmt.Println("mark:", r.Phase)
		}
	}
	sampled, missed := inspect.CycleCounts(timeline)
	fmt.Println("both forced cycles sampled:", sampled >= 2)
	fmt.Println("every cycle accounted for:", sampled+missed == timeline[len(timeline)-1].Cycle-timeline[0].Cycle)
	// Output:
	// mark: start
	// mark: populate
	// mark: release
	// mark: stop
	// both forced cycles sampled: true
	// every cycle accounted for: true
}
