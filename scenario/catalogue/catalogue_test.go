package catalogue_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	_ "github.com/weakscope/weakscope/scenario/catalogue"
)

// TestMain lets the runs with process isolation start this test binary
// again as their worker.
func TestMain(m *testing.M) {
	scenario.HandleWorker()
	os.Exit(m.Run())
}

// small returns options for a quick in-process run of sc.
func small(sc *scenario.Scenario) scenario.Options {
	opts := scenario.DefaultOptions()
	opts.Isolate = scenario.IsolateNone
	opts.Params.Objects = min(sc.Defaults.Objects, 2000)
	if sc.Name == "churn" {
		opts.Params.Extra = map[string]float64{"requests": 20_000, "capacity": 200}
	}
	return opts
}

// Every scenario's expectations hold for what Go does, at small sizes too.
func TestCatalogueExpectations(t *testing.T) {
	if len(scenario.All()) == 0 {
		t.Fatal("importing the catalogue registered no scenario")
	}
	for _, sc := range scenario.All() {
		t.Run(sc.Name, func(t *testing.T) {
			res, err := scenario.Run(context.Background(), sc, small(sc))
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, sc, res, 1)
		})
	}
}

func checkResult(t *testing.T, sc *scenario.Scenario, res report.ScenarioResult, settings int) {
	t.Helper()
	if len(res.Variants) != len(sc.Variants)*settings {
		t.Fatalf("%d variant results, want %d", len(res.Variants), len(sc.Variants)*settings)
	}
	if len(res.Expectations) != len(sc.Expectations)*settings || len(res.Expectations) == 0 {
		t.Fatalf("%d expectations evaluated, want %d", len(res.Expectations), len(sc.Expectations)*settings)
	}
	for _, v := range res.Variants {
		if v.Error != "" {
			t.Errorf("variant %s: %s", v.Variant, v.Error)
			continue
		}
		// Live runs are checked by bounds, never by exact bytes.
		if got := v.Metrics[report.PeakHeapBytes]; got <= 0 {
			t.Errorf("variant %s: peak heap %v, want > 0", v.Variant, got)
		}
		if got := v.Metrics[report.WallNS]; got <= 0 {
			t.Errorf("variant %s: wall %v, want > 0", v.Variant, got)
		}
		if len(v.Timeline) < 3 {
			t.Errorf("variant %s: timeline of %d readings", v.Variant, len(v.Timeline))
		}
	}
	for _, e := range res.Expectations {
		if !e.Pass {
			t.Errorf("expectation failed: %s (%s)", e.Text, e.Detail)
		}
	}
}

func TestReportCacheBounds(t *testing.T) {
	sc, _ := scenario.Lookup("report-cache")
	opts := small(sc)
	res, err := scenario.Run(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	strong, weak := res.Variants[0].Metrics, res.Variants[1].Metrics
	payload := float64(opts.Params.Objects * sc.Defaults.Size)
	if got := strong[report.RetainedBytes]; got < payload || got > 3*payload {
		t.Errorf("strong retained %v bytes for %v bytes of payload", got, payload)
	}
	if got := strong[report.RetainedObjects]; got < float64(2*opts.Params.Objects) {
		t.Errorf("strong retained %v objects, want ≥ %d (header and body per report)", got, 2*opts.Params.Objects)
	}
	if got := weak[report.CyclesToRelease]; got < 1 || got > 3 {
		t.Errorf("weak released its entries after %v cycles, want 1..3", got)
	}
	// CPU time is measured wherever getrusage exists; populating thousands
	// of objects takes more than its microsecond resolution.
	if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
		for name, m := range map[string]map[string]float64{"strong": strong, "weak": weak} {
			if got, ok := m[report.CPUNS]; !ok || got <= 0 || got > 100*m[report.WallNS]+1e7 {
				t.Errorf("%s: cpu_ns = %v (present %v), wall_ns = %v", name, got, ok, m[report.WallNS])
			}
		}
	}
}

// Two scenarios with each variant in its own process.
func TestProcessIsolation(t *testing.T) {
	for _, name := range []string{"report-cache", "weak-ref"} {
		sc, _ := scenario.Lookup(name)
		opts := small(sc)
		opts.Isolate = scenario.IsolateProcess
		// A -race binary sleeps a second at exit unless told not to.
		opts.WorkerEnv = []string{"GORACE=atexit_sleep_ms=0"}
		opts.ProfileDir = t.TempDir()
		opts.Settings = []report.Setting{{GOGC: "50"}, {GOGC: "off", GOMEMLIMIT: "256MiB"}}
		res, err := scenario.Run(context.Background(), sc, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, sc, res, 2)
		for _, v := range res.Variants {
			if v.Profile == "" {
				t.Errorf("%s/%s: no heap profile", name, v.Variant)
				continue
			}
			if fi, err := os.Stat(opts.ProfileDir + "/" + v.Profile); err != nil || fi.Size() == 0 {
				t.Errorf("%s/%s: profile %s: %v", name, v.Variant, v.Profile, err)
			}
		}
		if res.Variants[0].Setting.GOGC != "50" || res.Variants[len(res.Variants)-1].Setting.GOMEMLIMIT != "256MiB" {
			t.Errorf("settings not recorded: %+v", res.Variants)
		}
	}
}

// A worker that fails, is killed or hangs yields an error row; the run goes
// on.
func TestWorkerFailures(t *testing.T) {
	sc, _ := scenario.Lookup("weak-ref")
	for _, tc := range []struct {
		name   string
		worker []string
		want   string
	}{
		{"crash", []string{"/bin/sh", "-c", "echo boom >&2; exit 3"}, "worker exit status 3: boom"},
		{"hang", []string{"/bin/sh", "-c", "exec sleep 30"}, "worker timed out"},
		// Killed from outside, as the OOM killer would.
		{"killed", []string{"/bin/sh", "-c", "kill -KILL $$"}, "killed"},
		{"garbage", []string{"/bin/sh", "-c", "echo '{not json' >&3"}, "worker sent no valid result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := small(sc)
			opts.Isolate = scenario.IsolateProcess
			opts.Worker = tc.worker
			opts.Timeout = 300 * time.Millisecond
			start := time.Now()
			res, err := scenario.Run(context.Background(), sc, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Variants) != 2 {
				t.Fatalf("%d variant results, want 2", len(res.Variants))
			}
			for _, v := range res.Variants {
				if !strings.Contains(v.Error, tc.want) {
					t.Errorf("variant %s: error %q, want it to contain %q", v.Variant, v.Error, tc.want)
				}
				// Expectations not evaluated are not failures to explain:
				// no second run looks for retention paths.
				if v.RetentionError != "" || len(v.Retention) > 0 {
					t.Errorf("variant %s: retention %v / %q after a worker failure", v.Variant, v.Retention, v.RetentionError)
				}
			}
			for _, e := range res.Expectations {
				if e.Pass {
					t.Errorf("expectation %q passed without measurements", e.Text)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("run took %v with a %v worker timeout", d, opts.Timeout)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	_, err := scenario.Lookup("no-such")
	var ue *scenario.UnknownError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "report-cache") || !strings.Contains(err.Error(), "map-strategy") {
		t.Errorf("Lookup(no-such) = %v, want an UnknownError listing the valid names", err)
	}
	for _, sc := range scenario.All() {
		if sc.Description == "" || sc.Explanation == "" || len(sc.Variants) < 2 || len(sc.Expectations) == 0 {
			t.Errorf("%s: incomplete scenario", sc.Name)
		}
	}
}

func TestRepeatFoldsMedians(t *testing.T) {
	sc, _ := scenario.Lookup("weak-ref")
	opts := small(sc)
	opts.Repeat = 3
	res, err := scenario.Run(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Variants {
		if v.Runs != 3 || v.Min == nil || v.Max == nil {
			t.Fatalf("%s: runs %d, min %v, max %v", v.Variant, v.Runs, v.Min, v.Max)
		}
		for k, x := range v.Metrics {
			if x < v.Min[k] || x > v.Max[k] {
				t.Errorf("%s %s: median %v outside [%v, %v]", v.Variant, k, x, v.Min[k], v.Max[k])
			}
		}
	}
}
