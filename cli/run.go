package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
	"github.com/weakscope/weakscope/scenario"
)

// Limits on what a run may ask for; larger requests are typos more often
// than experiments.
const (
	maxObjects = 100_000_000
	maxSize    = 1 << 30
	maxRepeat  = 1000
)

// runFlags are the flags of "weakscope run" as typed; validate turns them
// into runOptions or a usage error naming the flag.
type runFlags struct {
	objects, size, repeat string
	out, format           string
	gogc, gomemlimit      string
	goList                string
	isolate, progress     string
	maxHeap               string
	noProfiles, why       bool
}

// runOptions is a validated run.
type runOptions struct {
	scenarios []*scenario.Scenario
	run       scenario.Options
	// toolchains are the toolchains of --go, whose workers are built
	// before anything runs.
	toolchains []string
	out        string
	format     render.Format
	progress   progressMode
	profiles   bool
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	f := runFlags{}
	cmd := &cobra.Command{
		Use:   "run [SCENARIO...]",
		Short: "Run scenarios (all by default), print the comparison table and write results.json and heap profiles",
		Long: `Run scenarios — the whole catalogue when none is named — each variant in a
fresh child process by default, print the comparison table and every
expectation with its verdict, and write results.json and one heap profile
per variant to the output directory. Exits 1 if an expectation fails.

With --why, every variant that still holds objects it released after the
final settle also shows what holds them: the shortest chain of pointers
from a GC root (a global, a goroutine's stack frame, a finalizer or a
cleanup) to up to three of them, from a heap dump of its process. Without
it, that is done only for the scenarios where an expectation failed.

With --go, every variant also runs under each Go toolchain listed: this
program's main package is built again with each (GOTOOLCHAIN=goX.Y.Z go
build, the toolchain fetched through the go command if need be) from its
source — weakscope's module, or a harness's — and the built workers are
kept in the user's cache directory for the next run. The table gets a go
column, results.json the toolchain of every variant, and the report the
differences between the toolchains. A toolchain that cannot be had stops
the run before anything runs (exit 2).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.validate(args)
			if err != nil {
				return err
			}
			return runRun(cmd.Context(), stdout, stderr, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.objects, "objects", "", "objects per scenario (default: each scenario's own)")
	fl.StringVar(&f.size, "size", "", "object size, e.g. 512, 4KiB, 1MiB (default: each scenario's own)")
	fl.StringVar(&f.repeat, "repeat", "1", "runs per variant; the table shows the median and range")
	fl.StringVar(&f.out, "out", "weakscope-out", "output directory for results.json and profiles")
	fl.StringVar(&f.format, "format", "table", "stdout format: table, markdown, csv, json or bench")
	fl.StringVar(&f.gogc, "gogc", "", "comma-separated GOGC values to run every variant under, e.g. 50,100,off")
	fl.StringVar(&f.gomemlimit, "gomemlimit", "", "comma-separated GOMEMLIMIT values, e.g. 64MiB,off")
	fl.StringVar(&f.goList, "go", "", "comma-separated Go toolchains to run every variant under, e.g. go1.26.8,go1.27.3 (each builds this program once, then cached)")
	fl.StringVar(&f.isolate, "isolate", "process", "where variants run: process (a fresh child each) or none (in this process)")
	fl.BoolVar(&f.noProfiles, "no-profiles", false, "do not write heap profiles")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when it is a terminal), always or never")
	fl.StringVar(&f.maxHeap, "max-heap", "", "largest heap one variant may need, e.g. 8GiB (default: GOMEMLIMIT, or half of physical memory)")
	fl.BoolVar(&f.why, "why", false, "show what keeps released objects alive in every variant (a heap dump each; by default only where an expectation fails)")
	cmd.ValidArgsFunction = completeScenarios
	completeFlags(cmd, map[string][]string{"format": formatNames(), "isolate": {"process", "none"}, "progress": {"auto", "always", "never"}})
	return cmd
}

func (f runFlags) validate(args []string) (runOptions, error) {
	opts := runOptions{run: scenario.DefaultOptions(), out: f.out}
	var err error
	if opts.scenarios, err = lookupScenarios(args); err != nil {
		return opts, err
	}
	if f.objects != "" {
		if opts.run.Params.Objects, err = parseCount("--objects", f.objects, maxObjects); err != nil {
			return opts, err
		}
	}
	if f.size != "" {
		n, err := report.ParseBytes(f.size)
		if err != nil || n > maxSize {
			return opts, usagef("--size: %q is not a size from 1 B to 1GiB (e.g. 512, 4KiB, 1MiB)", f.size)
		}
		opts.run.Params.Size = int(n)
	}
	if opts.run.Repeat, err = parseCount("--repeat", f.repeat, maxRepeat); err != nil {
		return opts, err
	}
	if opts.format, err = render.ParseFormat(f.format); err != nil {
		return opts, usagef("--format: %v", err)
	}
	if opts.progress, err = parseProgress(f.progress); err != nil {
		return opts, err
	}
	switch scenario.Isolation(f.isolate) {
	case scenario.IsolateProcess, scenario.IsolateNone:
		opts.run.Isolate = scenario.Isolation(f.isolate)
	default:
		return opts, usagef("--isolate: unknown value %q (accepted: process, none)", f.isolate)
	}
	if opts.run.Settings, err = settings(f.gogc, f.gomemlimit); err != nil {
		return opts, err
	}
	if opts.toolchains, err = parseToolchains(f.goList); err != nil {
		return opts, err
	}
	if len(opts.toolchains) > 0 && opts.run.Isolate != scenario.IsolateProcess {
		return opts, usagef("--go: each toolchain's variants run in a worker built with it, which needs --isolate process")
	}
	opts.run.Settings = withToolchains(opts.toolchains, opts.run.Settings)
	if err := checkOutDir(f.out); err != nil {
		return opts, err
	}
	opts.profiles = !f.noProfiles
	opts.run.Why = f.why
	if err := checkHeap(opts.scenarios, opts.run.Params, f.maxHeap); err != nil {
		return opts, err
	}
	if f.why {
		if err := checkDumpRoom(opts.scenarios, opts.run.Params); err != nil {
			return opts, err
		}
	}
	return opts, nil
}

// heapPerObject is what one catalogue object costs beyond its size: a
// header, its map entry or weak pointer, and their rounding up to size
// classes.
const heapPerObject = 128

// checkHeap refuses a run whose largest variant would need more heap than
// allowed: objects × (size + overhead), twice over because the collector
// lets the heap grow to twice the live data at the default GOGC. A typo
// such as --objects 1e9 is refused before anything is allocated.
func checkHeap(scenarios []*scenario.Scenario, over report.Params, maxHeap string) error {
	limit, why := heapLimit()
	if maxHeap != "" {
		n, err := report.ParseBytes(maxHeap)
		if err != nil {
			return usagef("--max-heap: %v", err)
		}
		limit, why = n, "set by --max-heap"
	}
	if limit <= 0 {
		return nil // nothing known to compare with
	}
	for _, sc := range scenarios {
		p := sc.Params(over)
		need := 2 * float64(p.Objects) * float64(p.Size+heapPerObject)
		if need > float64(limit) {
			return usagef("--objects/--size: %s needs about %s of heap per variant (%d objects of %s, twice over for the collector), more than the %s allowed (%s; raise it with --max-heap)",
				sc.Name, report.FormatBytes(need), p.Objects, report.FormatBytes(float64(p.Size)), report.FormatBytes(float64(limit)), why)
		}
	}
	return nil
}

// checkDumpRoom refuses --why when the heap dump of the largest variant
// (about its heap: objects × (size + overhead), plus the process's own)
// cannot fit in the temporary directory it is written to.
func checkDumpRoom(scenarios []*scenario.Scenario, over report.Params) error {
	dir := os.TempDir()
	free, ok := freeSpace(dir)
	if !ok {
		return nil
	}
	for _, sc := range scenarios {
		p := sc.Params(over)
		need := 1.2*float64(p.Objects)*float64(p.Size+heapPerObject) + 4<<20
		if need > float64(free) {
			return usagef("--why: the heap dump of %s needs about %s in %s, which has %s free (point TMPDIR at a larger file system)",
				sc.Name, report.FormatBytes(need), dir, report.FormatBytes(float64(free)))
		}
	}
	return nil
}

// heapLimit is the default --max-heap: GOMEMLIMIT when set, else half of
// the machine's memory, else 0 (unknown).
func heapLimit() (int64, string) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" && v != "off" {
		if n, err := scenario.ParseMemLimit(v); err == nil {
			return n, "GOMEMLIMIT"
		}
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kib, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return kib * 1024 / 2, "half of physical memory"
			}
		}
	}
	return 0, ""
}

// lookupScenarios returns the named scenarios, or the whole catalogue when
// none is named; an unknown name is a usage error that lists the valid ones.
func lookupScenarios(names []string) ([]*scenario.Scenario, error) {
	if len(names) == 0 {
		if len(scenario.All()) == 0 {
			return nil, usagef("this program registers no scenarios: register yours with scenario.Register from init, or import github.com/weakscope/weakscope/scenario/catalogue for the built-in ones")
		}
		return scenario.All(), nil
	}
	var out []*scenario.Scenario
	for _, n := range names {
		sc, err := scenario.Lookup(n)
		if err != nil {
			return nil, &usageError{err}
		}
		out = append(out, sc)
	}
	return out, nil
}

// parseCount parses a whole number from 1 to limit for the named flag.
func parseCount(flag, s string, limit int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > limit {
		return 0, usagef("%s: want a whole number from 1 to %d, got %q", flag, limit, s)
	}
	return n, nil
}

// settings is the cross product of the --gogc and --gomemlimit lists.
func settings(gogc, gomemlimit string) ([]report.Setting, error) {
	gs, err := splitList("--gogc", gogc, func(s string) error { _, err := scenario.ParseGOGC(s); return err })
	if err != nil {
		return nil, err
	}
	ms, err := splitList("--gomemlimit", gomemlimit, func(s string) error { _, err := scenario.ParseMemLimit(s); return err })
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 && len(ms) == 0 {
		return nil, nil
	}
	if len(gs) == 0 {
		gs = []string{""}
	}
	if len(ms) == 0 {
		ms = []string{""}
	}
	var out []report.Setting
	for _, g := range gs {
		for _, m := range ms {
			out = append(out, report.Setting{GOGC: g, GOMEMLIMIT: m})
		}
	}
	return out, nil
}

// splitList splits a comma-separated flag value, checking each item and
// refusing one named twice: the runs of a setting would overwrite each
// other's profiles.
func splitList(flag, s string, check func(string) error) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if err := check(item); err != nil {
			return nil, usagef("%s: %v", flag, err)
		}
		if slices.Contains(out, item) {
			return nil, usagef("%s: %s is named twice", flag, item)
		}
		out = append(out, item)
	}
	return out, nil
}

// checkOutDir accepts an existing directory that takes new files, or a new
// one whose parent does; it leaves nothing behind.
func checkOutDir(dir string) error {
	if dir == "" {
		return usagef("--out: want a directory path, got an empty one")
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return usagef("--out: %s exists and is not a directory", dir)
	case err == nil:
		return probeWritable("--out", dir)
	case !errors.Is(err, os.ErrNotExist):
		return usagef("--out: %v", err)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		return usagef("--out: parent directory %s does not exist", parent)
	}
	return probeWritable("--out", parent)
}

func runRun(ctx context.Context, stdout, stderr io.Writer, opts runOptions) error {
	// Every toolchain's worker is ready, or the run stops, before anything
	// runs or is written.
	var err error
	if opts.run.Toolchains, err = prepareToolchains(ctx, stderr, opts.toolchains, opts.scenarios); err != nil {
		return err
	}
	// Everything is written to a staging directory inside --out and moved
	// into place only once the run is complete, so an interrupted or
	// failed run leaves the previous results as they were, or nothing.
	created := false
	if _, err := os.Stat(opts.out); errors.Is(err, fs.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return usagef("--out: %v", err)
	}
	removeAbandonedStages(opts.out)
	stage, err := os.MkdirTemp(opts.out, stagePrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		removeIfEmpty(opts.out, created)
		return usagef("--out: cannot write in %s: %v", opts.out, err)
	}
	defer func() {
		os.RemoveAll(stage)
		removeIfEmpty(opts.out, created)
	}()
	if opts.profiles {
		opts.run.ProfileDir = stage
	}
	res, err := runScenarios(ctx, stderr, plan(opts.scenarios, opts.run), opts.progress)
	if err != nil {
		return err
	}
	var files []string
	writeErr := profileError(res)
	if writeErr == nil {
		files, writeErr = writeOutputs(stage, opts.out, res)
	}
	// The measured table is printed even when the files could not be
	// written: a full disk must not lose the run's numbers too.
	if err := render.Write(stdout, res, opts.format); err != nil {
		return err
	}
	if writeErr != nil {
		return fmt.Errorf("writing %s: %w (the results above were not saved)", opts.out, writeErr)
	}
	fmt.Fprintf(stderr, "weakscope: wrote %s\n", describeOutputs(opts.out, files))
	if res.Failed() {
		return fmt.Errorf("%w: see the FAIL and ERROR lines above", errCheckFailed)
	}
	return nil
}

// profileError is the first heap profile a variant could not write, as an
// error, or nil.
func profileError(res *report.Results) error {
	for _, s := range res.Scenarios {
		for _, v := range s.Variants {
			if v.ProfileError != "" {
				return fmt.Errorf("heap profile of %s/%s: %s", s.Name, v.Variant, v.ProfileError)
			}
		}
	}
	return nil
}

// writeOutputs renders every file of the run into stage, then publishes
// them into out in place of the previous run's, and returns the published
// files' paths relative to out.
func writeOutputs(stage, out string, res *report.Results) ([]string, error) {
	if err := heapDifferences(stage, res); err != nil {
		return nil, err
	}
	if err := render.WriteFiles(stage, res); err != nil {
		return nil, err
	}
	return publish(stage, out)
}

// describeOutputs says in one line where a run's files went.
func describeOutputs(out string, files []string) string {
	profiles, charts := 0, 0
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, ".heap.pb.gz"):
			profiles++
		case filepath.Base(f) == render.ChartName:
			charts++
		}
	}
	s := fmt.Sprintf("%s: %s, %s, %s", out, render.ResultsName, render.HTMLName, render.RetentionProfileName)
	if charts > 0 {
		s += fmt.Sprintf(", %d charts", charts)
	}
	if profiles > 0 {
		s += fmt.Sprintf(", %d heap profiles", profiles)
	}
	return s
}

// stagePrefix begins the name of a run's staging directory, followed by
// the process ID of the run that owns it.
const stagePrefix = ".weakscope-run-"

// removeAbandonedStages removes the staging directories in out whose
// owning process is gone: a run killed by SIGKILL, or by the machine
// going down, cannot remove its own. A directory whose owner is alive, or
// cannot be told (another platform, an older name), is left alone.
func removeAbandonedStages(out string) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), stagePrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if processGone(pid) {
			os.RemoveAll(filepath.Join(out, e.Name()))
		}
	}
}

// heapDifferences replaces each variant's pair of heap profiles (at the
// measurement point, and at the baseline reading) with their difference:
// what the variant allocated and still holds, without the start-up of the
// process that ran it (see scenario.Options.ProfileDir).
func heapDifferences(dir string, res *report.Results) error {
	for _, s := range res.Scenarios {
		for _, v := range s.Variants {
			if v.Profile == "" {
				continue
			}
			final := filepath.Join(dir, filepath.FromSlash(v.Profile))
			base := scenario.BaselineProfile(final)
			if err := subtractProfile(final, base); err != nil {
				return fmt.Errorf("%s/%s: %w", s.Name, v.Variant, err)
			}
		}
	}
	return nil
}

func subtractProfile(final, base string) error {
	fb, err := os.ReadFile(final)
	if err != nil {
		return err
	}
	bb, err := os.ReadFile(base)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := render.WriteHeapDifference(&out, bytes.NewReader(bb), bytes.NewReader(fb)); err != nil {
		return err
	}
	if err := report.WriteFileAtomic(final, out.Bytes()); err != nil {
		return err
	}
	return os.Remove(base)
}

// publish moves every file of a complete run from stage into out, each
// with one rename (the same file system), results.json last so that it
// never names files that are not there yet. Before that, it removes what
// the previous run in out wrote and this one does not (the charts and
// profiles of scenarios, variants or settings not run now), so that out
// holds one run's files. It returns the files' paths relative to out.
func publish(stage, out string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(stage, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, err := filepath.Rel(stage, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(files, func(a, b string) int {
		return boolInt(filepath.Base(a) == render.ResultsName) - boolInt(filepath.Base(b) == render.ResultsName)
	})
	removeStale(out, files)
	for _, rel := range files {
		dst := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(filepath.Join(stage, rel), dst); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// removeStale removes from out the charts and heap profiles that the run
// recorded in out's results.json wrote and that files (this run's) does
// not have, and the scenario directories that leaves empty. It touches
// nothing else: only files weakscope writes, in the directories of the
// scenarios the previous run names.
func removeStale(out string, files []string) {
	prev, err := report.ReadFile(filepath.Join(out, render.ResultsName))
	if err != nil {
		return
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[filepath.Clean(f)] = true
	}
	for _, s := range prev.Scenarios {
		if s.Name == "" || strings.ContainsAny(s.Name, `/\`) || s.Name == "." || s.Name == ".." {
			continue
		}
		dir := filepath.Join(out, s.Name)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			ours := name == render.ChartName || strings.HasSuffix(name, ".heap.pb.gz")
			if ours && !e.IsDir() && !keep[filepath.Join(s.Name, name)] {
				os.Remove(filepath.Join(dir, name))
			}
		}
		os.Remove(dir) // only if empty
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// removeIfEmpty removes dir if this run created it and left nothing in it.
func removeIfEmpty(dir string, created bool) {
	if created {
		os.Remove(dir) // fails, harmlessly, unless empty
	}
}

// planned is a scenario and the options to run it with.
type planned struct {
	sc   *scenario.Scenario
	opts scenario.Options
}

// plan runs every scenario with the same options.
func plan(scenarios []*scenario.Scenario, opts scenario.Options) []planned {
	out := make([]planned, len(scenarios))
	for i, sc := range scenarios {
		out[i] = planned{sc, opts}
	}
	return out
}

// runScenarios runs each planned scenario in turn, with a progress bar on
// stderr, and collects the results document.
func runScenarios(ctx context.Context, stderr io.Writer, runs []planned, mode progressMode) (*report.Results, error) {
	total := 0
	for _, r := range runs {
		total += len(r.sc.Variants) * max(len(r.opts.Settings), 1)
	}
	pr := newProgress(stderr, mode, total)
	res := newResults()
	for _, r := range runs {
		r.opts.Progress = pr.start
		sr, err := scenario.Run(ctx, r.sc, r.opts)
		if err != nil {
			pr.finish(false)
			return nil, fmt.Errorf("%s: %w", r.sc.Name, err)
		}
		res.Scenarios = append(res.Scenarios, sr)
	}
	pr.finish(true)
	return res, nil
}

// newResults starts a results document describing this process.
func newResults() *report.Results { return report.NewResults() }
