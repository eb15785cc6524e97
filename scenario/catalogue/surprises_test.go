package catalogue_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/catalogue"
)

// The surprises are named after their Go issue, so that `weakscope list`
// shows the number, and each explanation cites the issue's address.
func TestSurprisesNameTheirIssue(t *testing.T) {
	n := 0
	for _, sc := range scenario.All() {
		num, ok := strings.CutPrefix(sc.Name, "go")
		if !ok || num == "" || num[0] < '0' || num[0] > '9' {
			continue
		}
		n++
		num, _, _ = strings.Cut(num, "-")
		for _, want := range []string{"golang/go#" + num, "https://github.com/golang/go/issues/" + num} {
			if !strings.Contains(sc.Description+"\n"+sc.Explanation, want) {
				t.Errorf("%s: neither description nor explanation says %q", sc.Name, want)
			}
		}
		for _, release := range []string{"go1.26.8", "go1.27.3"} {
			if !strings.Contains(sc.Description, release) {
				t.Errorf("%s: the description does not say what %s does: %q", sc.Name, release, sc.Description)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d scenarios named after a Go issue, want 4", n)
	}
}

// metrics returns one variant's metrics.
func metrics(t *testing.T, res report.ScenarioResult, variant string) map[string]float64 {
	t.Helper()
	v := variantOf(t, res, variant)
	if v.Error != "" {
		t.Fatalf("%s/%s: %s", res.Name, variant, v.Error)
	}
	return v.Metrics
}

// The tiny-object surprises at their default sizes, in-process: what the
// expectations say, and the bounds around them.
func TestTinySurprises(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		// cleared are the variants whose objects are all collected within
		// a few cycles of the release.
		cleared []string
		// pinned is the variant whose dropped objects share a block with
		// something kept, and the entries it keeps, as a fraction of the
		// objects: in a normal build, and in a -race build, where nothing
		// shares a block.
		pinned           string
		pinnedFrac, race float64
		cleanup          bool // whether each object carries a cleanup
	}{
		{"go76362-tiny-weak", []string{"tiny-8B", "pointer-32B"}, "tiny-8B-neighbour-kept", 1, 0.5, false},
		{"go76007-weak-cleanup-tiny", []string{"tiny-value", "pointer-value"}, "", 0, 0, true},
		{"go76207-cleanup-one-field", []string{"int64-field", "uint8-field", "two-int64-fields"}, "arg-in-block", 1, 0, true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			sc, err := scenario.Lookup(tc.scenario)
			if err != nil {
				t.Fatal(err)
			}
			opts := scenario.DefaultOptions()
			opts.Isolate = scenario.IsolateNone
			res, err := scenario.Run(context.Background(), sc, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, sc, res, 1)
			n := float64(sc.Defaults.Objects)
			for _, v := range tc.cleared {
				m := metrics(t, res, v)
				if got := m[report.Entries]; got != 0 {
					t.Errorf("%s: %v entries left, want 0", v, got)
				}
				if got := m[report.CyclesToRelease]; got < 1 || got > 3 {
					t.Errorf("%s: released after %v cycles, want 1..3", v, got)
				}
				if want := map[bool]float64{true: n}[tc.cleanup]; m[report.CleanupsRun] != want {
					t.Errorf("%s: %v cleanups ran, want %v", v, m[report.CleanupsRun], want)
				}
				// What is left is the subject's bookkeeping (a weak
				// handle of 16 B and a weak pointer of 8 B per object at
				// most), never the objects.
				if got := m[report.RetainedBytes]; got > 32*n+64<<10 {
					t.Errorf("%s: retained %v bytes for %v objects", v, got, n)
				}
			}
			if tc.pinned == "" {
				return
			}
			want := tc.pinnedFrac * n
			if catalogue.RaceEnabled {
				want = tc.race * n
			}
			// The blocks at either end of the run may hold something
			// else: a bound, not an exact count.
			if got := metrics(t, res, tc.pinned)[report.Entries]; got < 0.9*want || got > want {
				t.Errorf("%s: %v entries, want %v less at most 10%%", tc.pinned, got, want)
			}
		})
	}
}

// go71772-unique-churn reproduces the report where it applies: one cleanup
// goroutine (fewer than 8 CPUs). Each variant runs in a worker process, as
// in weakscope check: in this test process, whose heap is larger, fewer
// GC cycles end during a churn. A churn during which too few end is no
// reproduction either way, and is run again, up to three times.
func TestUniqueChurnOutrunsCleanups(t *testing.T) {
	if testing.Short() {
		t.Skip("churns 200,000 unique handles per variant")
	}
	if g := max(runtime.GOMAXPROCS(0)/4, 1); g != 1 {
		t.Skipf("the runtime runs cleanups on up to %d goroutines here; the report is about one", g)
	}
	sc, err := scenario.Lookup("go71772-unique-churn")
	if err != nil {
		t.Fatal(err)
	}
	opts := scenario.DefaultOptions()
	opts.Isolate = scenario.IsolateProcess
	opts.WorkerEnv = []string{"GORACE=atexit_sleep_ms=0"}
	// Twice the GC cycles of the default during each churn, so that one
	// producer's spans enough of them to compare (see the scenario).
	opts.Settings = []report.Setting{{GOGC: "50"}}
	if catalogue.RaceEnabled {
		// unique is about ten times slower under the race detector.
		opts.Params.Objects = 100_000
	}
	for attempt := 1; ; attempt++ {
		res, err := scenario.Run(context.Background(), sc, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, sc, res, 1)
		for _, v := range res.Variants {
			t.Logf("%s: wall %v cpu %v, cycles during the churn %v, backlog %v, live %v", v.Variant, report.FormatMetric(report.WallNS, v.Metrics[report.WallNS]), report.FormatMetric(report.CPUNS, v.Metrics[report.CPUNS]), v.Metrics["churn_cycles"], v.Metrics["cleanup_backlog"], report.FormatBytes(v.Metrics["churn_live_bytes"]))
		}
		asserted := true
		for _, e := range res.Expectations {
			asserted = asserted && !strings.Contains(e.Detail, "GC cycles during its churn")
		}
		if !asserted && attempt < 3 {
			t.Logf("attempt %d: too few GC cycles during a churn; again", attempt)
			continue
		}
		if !asserted {
			t.Fatalf("three churns with too few GC cycles: %+v", res.Expectations)
		}
		many, plain := metrics(t, res, "unique-8-producers"), metrics(t, res, "strings-8-producers")
		handles := float64(sc.Params(opts.Params).Objects)
		if got := many[report.CleanupsRun]; got < handles {
			t.Errorf("unique-8-producers: %v cleanups ran, want ≥ one per handle (%v)", got, handles)
		}
		if got := plain[report.CleanupsRun]; got > 100 {
			t.Errorf("strings-8-producers: %v cleanups ran, want none of its own", got)
		}
		// At most every handle made is waiting at once.
		if got := many["cleanup_backlog"]; got > handles+1000 {
			t.Errorf("unique-8-producers: backlog of %v cleanups for %v handles", got, handles)
		}
		for _, v := range res.Variants {
			if got := v.Metrics[report.Entries]; got != 0 {
				t.Errorf("%s: producers still hold %v values after the release", v.Variant, got)
			}
		}
		return
	}
}

// With Why, the variants whose dropped objects stay in a tiny block name
// what holds the block: a cleanup's argument, or the kept neighbour's
// reference. A -race build has no shared blocks, hence no paths.
func TestWhyTinyBlocks(t *testing.T) {
	if catalogue.RaceEnabled {
		t.Skip("a -race build disables the tiny allocator: nothing stays to explain")
	}
	for _, tc := range []struct {
		scenario, variant, rootKind string
		contains                    []string // in order, in every path
	}{
		{"go76207-cleanup-one-field", "arg-in-block", "cleanup", []string{"cleanup special", "→ catalogue.int64Field in a 16 B tiny block with its cleanup's argument"}},
		{"go76362-tiny-weak", "tiny-8B-neighbour-kept", "stack", []string{"catalogue.tinyWeakSubject[[8]uint8]", "→ [8]uint8 in a 16 B tiny block it shares with a kept object"}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			sc, _ := scenario.Lookup(tc.scenario)
			opts := small(sc)
			opts.Params.Objects = 200
			opts.Why = true
			res, err := scenario.Run(context.Background(), sc, opts)
			if err != nil {
				t.Fatal(err)
			}
			paths := retention(t, res, tc.variant)
			if len(paths) != scenario.MaxWitnesses {
				t.Fatalf("%d retention paths, want %d: %+v", len(paths), scenario.MaxWitnesses, paths)
			}
			for _, p := range paths {
				if !p.Found || p.RootKind != tc.rootKind {
					t.Errorf("root %q (found %v), want %q: %s", p.RootKind, p.Found, tc.rootKind, p.Path)
				}
				rest := p.Path
				for _, want := range tc.contains {
					i := strings.Index(rest, want)
					if i < 0 {
						t.Errorf("path lacks %q (in order): %s", want, p.Path)
						break
					}
					rest = rest[i+len(want):]
				}
			}
		})
	}
}
