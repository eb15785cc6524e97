package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weakscope/weakscope/internal/toolchain"
	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// parseToolchains reads --go: a comma-separated list of Go releases, each
// once.
func parseToolchains(list string) ([]string, error) {
	return splitList("--go", list, toolchain.CheckName)
}

// withToolchains is the cross product of toolchains and runtime settings:
// every setting under every toolchain, toolchain by toolchain. No
// toolchains leaves the settings as they are.
func withToolchains(toolchains []string, settings []report.Setting) []report.Setting {
	if len(toolchains) == 0 {
		return settings
	}
	runtimes := settings
	if len(runtimes) == 0 {
		runtimes = []report.Setting{{}}
	}
	var out []report.Setting
	for _, t := range toolchains {
		for _, s := range runtimes {
			s.Go = t
			out = append(out, s)
		}
	}
	return out
}

// listTimeout bounds how long a built worker may take to list its
// scenarios.
const listTimeout = 30 * time.Second

// prepareToolchains makes a worker for each toolchain: it fetches them
// all (so that one that cannot be had stops the run before any build), then
// builds this program's main package with each, or finds it built, and
// checks that each registers the scenarios to run as this program does.
// It returns the workers' command lines by toolchain. Every failure is a
// usage error that names the toolchain, and nothing has run.
func prepareToolchains(ctx context.Context, stderr io.Writer, toolchains []string, scenarios []*scenario.Scenario) (map[string][]string, error) {
	if len(toolchains) == 0 {
		return nil, nil
	}
	opts, err := toolchain.DefaultOptions()
	if err != nil {
		return nil, usagef("--go: %v", err)
	}
	opts.Log = stderr
	src, err := toolchain.FindSource(ctx, opts)
	if err != nil {
		return nil, toolchainError(ctx, err)
	}
	// Fetch every toolchain first, so that one that cannot be had stops
	// the run before any build; then look each up in the cache and build
	// it if need be. Both go on for all toolchains at once: a cached
	// lookup is mostly waiting on go list, and a build gains from sharing
	// the machine with the other's link step.
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetched := make([]toolchain.Toolchain, len(toolchains))
	if err := forEach(ctx, cancel, len(toolchains), func(i int) (err error) {
		fetched[i], err = toolchain.Fetch(ctx, toolchains[i], opts)
		return err
	}); err != nil {
		return nil, toolchainError(parent, err)
	}
	built := make([]toolchain.Worker, len(toolchains))
	if err := forEach(ctx, cancel, len(toolchains), func(i int) (err error) {
		if built[i], err = toolchain.Build(ctx, src, fetched[i], opts); err != nil {
			return toolchainError(parent, err)
		}
		return sameScenarios(ctx, built[i], src, scenarios)
	}); err != nil {
		return nil, err
	}
	workers := map[string][]string{}
	for _, w := range built {
		workers[w.Toolchain] = []string{w.Path, scenario.WorkerArg}
	}
	return workers, nil
}

// forEach calls f(0), …, f(n-1) concurrently and returns the error of the
// lowest index that failed, cancelling the others at the first failure.
func forEach(ctx context.Context, cancel func(), n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if errs[i] = f(i); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// An error caused by the cancel is not the one to report.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// toolchainError makes a usage error of a toolchain's failure, or passes
// on an interrupt.
func toolchainError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	msg := err.Error()
	for _, sentinel := range []error{toolchain.ErrUnavailable, toolchain.ErrNoSource} {
		msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
	}
	if errors.Is(err, toolchain.ErrNoSource) {
		msg = "builds this program again with each toolchain, from its source: " + msg
	}
	return usagef("--go: %s", msg)
}

// sameScenarios checks that the program w built registers the scenarios
// to run with the same variants as this one: a worker built from another
// version of the source would measure something else under the same name.
func sameScenarios(ctx context.Context, w toolchain.Worker, src toolchain.Source, scenarios []*scenario.Scenario) error {
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.Path, "list", "--format", "json")
	cmd.Env = os.Environ()
	out, err := cmd.Output()
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return context.Cause(ctx)
	}
	var listed []listEntry
	if err == nil {
		err = json.Unmarshal(out, &listed)
	}
	if err != nil {
		return usagef("--go: the program built with %s (%s) does not list its scenarios ('list --format json': %v); is its main cli.Main?", w.Toolchain, w.Path, err)
	}
	for _, sc := range scenarios {
		i := slices.IndexFunc(listed, func(e listEntry) bool { return e.Name == sc.Name })
		if i < 0 || !slices.Equal(listed[i].Variants, sc.VariantNames()) {
			return usagef("--go: built from %s with %s, the program does not register %s as this one does: this program was built from another version of that source; build it again (or use go run)", src.Dir, w.Toolchain, sc.Name)
		}
	}
	return nil
}
