package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	_ "github.com/weakscope/weakscope/scenario/catalogue"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// Runs from the tests below start this binary again as their worker.
	scenario.HandleWorker()
	testscript.Main(m, map[string]func(){
		"weakscope": func() { os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: each runs the
// real command line and compares its output and exit status.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":            cmdExits,
			"scale-metric":     cmdScaleMetric,
			"fail-expectation": cmdFailExpectation,
			"rename-scenario":  cmdRenameScenario,
		},
		Setup: func(env *testscript.Env) error {
			// A -race binary (this one, under scripts/test.sh) sleeps a
			// second at exit unless told not to; every worker would.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
	})
}

// cmdExits is the script command "exits CODE PROGRAM [ARGS...]": it runs the
// program like exec and fails unless it exits with exactly CODE, so scripts
// can tell a usage error (2) from a failed check (1).
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("disk full"), exitFailed},
		{fmt.Errorf("report-cache: %w", errCheckFailed), exitFailed},
		{usagef("--objects: want a positive integer, got %q", "abc"), exitUsage},
		{fmt.Errorf("loading: %w", usagef("bad")), exitUsage},
		{fmt.Errorf("baseline.json: %w", errNoBaseline), exitNoBaseline},
		{fmt.Errorf("run: %w", context.Canceled), exitInterrupted},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// editResults applies f to a results file in the script's work directory.
func editResults(ts *testscript.TestScript, name string, f func(*report.Results)) {
	path := ts.MkAbs(name)
	r, err := report.ReadFile(path)
	ts.Check(err)
	f(r)
	ts.Check(r.WriteFile(path))
}

// cmdScaleMetric is "scale-metric FILE SCENARIO VARIANT METRIC FACTOR": it
// doctors a baseline, multiplying one metric (and its samples) by FACTOR.
func cmdScaleMetric(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: scale-metric FILE SCENARIO VARIANT METRIC FACTOR")
	}
	factor, err := strconv.ParseFloat(args[4], 64)
	ts.Check(err)
	found := false
	editResults(ts, args[0], func(r *report.Results) {
		for _, s := range r.Scenarios {
			for _, v := range s.Variants {
				if s.Name == args[1] && v.Variant == args[2] {
					v.Metrics[args[3]] *= factor
					for i := range v.Samples[args[3]] {
						v.Samples[args[3]][i] *= factor
					}
					found = true
				}
			}
		}
	})
	if !found {
		ts.Fatalf("no variant %s/%s in %s", args[1], args[2], args[0])
	}
}

// cmdFailExpectation is "fail-expectation FILE": it doctors a baseline so
// that its first expectation is recorded as failed.
func cmdFailExpectation(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fail-expectation FILE")
	}
	editResults(ts, args[0], func(r *report.Results) {
		r.Scenarios[0].Expectations[0].Pass = false
	})
}

// cmdRenameScenario is "rename-scenario FILE OLD NEW": it doctors a
// baseline so that a scenario has a name this program does not register.
func cmdRenameScenario(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: rename-scenario FILE OLD NEW")
	}
	editResults(ts, args[0], func(r *report.Results) {
		for i := range r.Scenarios {
			if r.Scenarios[i].Name == args[1] {
				r.Scenarios[i].Name = args[2]
			}
		}
	})
}
