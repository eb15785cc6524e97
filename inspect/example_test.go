package inspect_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"
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

// latest and reports are globals that keep reports alive.
var (
	latest  *Report
	reports = map[string]*Report{}
)

func ExampleRetentionPaths() {
	// "go test" and "go run" build executables without a symbol table;
	// naming the global lets the path say where it starts either way.
	inspect.NameGlobal("github.com/weakscope/weakscope/inspect_test.latest", &latest)

	latest = &Report{ID: "Q4"}
	target := uintptr(unsafe.Pointer(latest)) // a uintptr keeps nothing alive

	runtime.GC() // collect what is already unreachable
	paths, err := inspect.RetentionPaths(context.Background(), []uintptr{target})
	if err != nil {
		panic(err)
	}
	fmt.Println(paths[0])
	// Output:
	// global inspect_test.latest (*inspect_test.Report, bss) → object (48 B)
}

func ExampleWhyAlive() {
	inspect.NameGlobal("github.com/weakscope/weakscope/inspect_test.reports", &reports)
	p := func() weak.Pointer[Report] {
		r := &Report{ID: "Q3"}
		reports[r.ID] = r
		return weak.Make(r)
	}()

	path, err := inspect.WhyAlive(p)
	if err != nil {
		panic(err)
	}
	root, _, _ := strings.Cut(path.String(), " → ")
	fmt.Println("kept by:", root)

	delete(reports, "Q3")
	path, err = inspect.WhyAlive(p)
	fmt.Println("once deleted:", path, err)
	// Output:
	// kept by: global inspect_test.reports (map[string]*inspect_test.Report, bss)
	// once deleted: not found in the heap <nil>
}

// A test that a holder lets go of what it holds must keep the holder alive
// until the check: WithHolder fails the check if the holder was collected
// too, which would prove nothing.
func ExampleWithHolder() {
	type session struct {
		_ *session
		_ [64]byte
	}
	registry := map[string]*session{}
	s := &session{}
	registry["alice"] = s
	wp := weak.Make(s)
	s = nil

	delete(registry, "alice") // the behaviour under test: logging out forgets the session
	_, err := inspect.WaitCollected(context.Background(), wp, inspect.WithHolder("registry", weak.Make(&registry)))
	fmt.Println("released by a live registry:", err == nil)
	runtime.KeepAlive(registry)
	// Output: released by a live registry: true
}
