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

// checkFlags are the flags of "weakscope check" as typed.
type checkFlags struct {
	baseline, count, tolerance, statTolerance string
	summary, junit, progress                  string
	results, goList                           string
	update                                    bool
	// changed reports whether a flag was given on the command line.
	changed func(name string) bool
}

// checkOptions is a validated check.
type checkOptions struct {
	baseline  string
	scenarios []*scenario.Scenario
	// names are the scenarios named on the command line, for --results,
	// which looks them up in the files rather than in this program, and
	// for --update, which then replaces only them in the baseline.
	names []string
	// results is the results file to judge instead of running (--results).
	results string
	// toolchains are the toolchains of --go.
	toolchains []string
	run        scenario.Options
	compare    report.CompareOptions
	update     bool
	summary    string
	junit      string
	progress   progressMode
}

func newCheckCmd(stdout, stderr io.Writer) *cobra.Command {
	f := checkFlags{}
	cmd := &cobra.Command{
		Use:   "check --baseline FILE [SCENARIO...]",
		Short: "Fail when memory retention regresses against a baseline (for CI)",
		Long: `Run the scenarios (--count times each, every variant in its own process),
compare every metric with the baseline and check every expectation. Each
scenario runs at the parameters and under the GOGC/GOMEMLIMIT settings its
baseline recorded, and the output says so where they are not the
defaults; scenarios one side has and the other lacks are named.

Retention metrics (retained bytes and objects, entries, cycles to release),
measured after a forced, settled GC, are compared as values: a change
counts when it exceeds --tolerance and a small absolute floor. CPU time is
compared statistically over the runs (Mann–Whitney U): a change counts only
if it is significant and the medians differ by more than --stat-tolerance
(default 200%). A metric a scenario marks as varying by design is compared
the same way, but a change in it is shown as "varies" and never fails the
check. A failed expectation fails the check whatever the baseline says.

With --go, every variant runs under each Go toolchain listed (see run
--go); a baseline recorded with this program's own Go judges each of them,
so "check --go go1.27.3" says what a Go upgrade would change. A baseline
recorded with --go is checked under its toolchains without the flag.

With --results NEW.json, nothing runs: the results file (written by run,
or by check --update) is judged against the baseline as a run would be, so
that a CI job can measure once and be judged later, or elsewhere.

Exit status: 0 within bounds, 1 a regression or a failed expectation,
2 bad input, 3 no baseline: the file does not exist, or it covers none of
the scenarios to check. --update writes the baseline (atomically) instead
of comparing; with scenarios named, it replaces only theirs in an existing
baseline and keeps the others.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.changed = cmd.Flags().Changed
			opts, err := f.validate(args)
			if err != nil {
				return err
			}
			return runCheck(cmd.Context(), stdout, stderr, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.baseline, "baseline", "", "baseline results file (written by check --update or by run)")
	fl.StringVar(&f.count, "count", "5", "runs per variant")
	fl.StringVar(&f.tolerance, "tolerance", "10", "relative change allowed, in percent (e.g. 10 or 10%)")
	fl.StringVar(&f.statTolerance, "stat-tolerance", "200", "change of the median allowed, in percent, for time and other metrics compared statistically")
	fl.BoolVar(&f.update, "update", false, "write the baseline from this run instead of comparing")
	fl.StringVar(&f.summary, "summary", "", "also write the result as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)")
	fl.StringVar(&f.junit, "junit", "", "also write the result as JUnit XML to this file")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto, always or never")
	fl.StringVar(&f.results, "results", "", "judge this results file against the baseline instead of running anything")
	fl.StringVar(&f.goList, "go", "", "comma-separated Go toolchains to run every variant under, e.g. go1.27.3 (see run --go)")
	cmd.ValidArgsFunction = completeScenarios
	completeFlags(cmd, map[string][]string{"progress": {"auto", "always", "never"}})
	return cmd
}

func (f checkFlags) validate(args []string) (checkOptions, error) {
	opts := checkOptions{baseline: f.baseline, update: f.update, summary: f.summary, junit: f.junit, run: scenario.DefaultOptions(), compare: report.DefaultCompareOptions()}
	if f.baseline == "" {
		return opts, usagef("--baseline: a baseline file is required (write one with --baseline FILE --update)")
	}
	var err error
	if f.results != "" {
		// Nothing runs: the flags that say how to run have no place.
		changed := f.changed
		if changed == nil {
			changed = func(string) bool { return false }
		}
		for _, flag := range []string{"update", "count", "go"} {
			if changed(flag) || flag == "update" && f.update {
				return opts, usagef("--results: judges a results file without running anything, so --%s has no place beside it", flag)
			}
		}
		opts.results, opts.names = f.results, args
	} else if opts.scenarios, err = lookupScenarios(args); err != nil {
		return opts, err
	} else {
		opts.names = args
	}
	if opts.toolchains, err = parseToolchains(f.goList); err != nil {
		return opts, err
	}
	if opts.run.Repeat, err = parseCount("--count", f.count, maxRepeat); err != nil {
		return opts, err
	}
	if opts.compare.Tolerance, err = parsePercent("--tolerance", f.tolerance, 1000); err != nil {
		return opts, err
	}
	if opts.compare.StatTolerance, err = parsePercent("--stat-tolerance", f.statTolerance, 10000); err != nil {
		return opts, err
	}
	if opts.progress, err = parseProgress(f.progress); err != nil {
		return opts, err
	}
	outputs := []struct{ flag, path string }{{"--summary", f.summary}, {"--junit", f.junit}}
	if f.update {
		outputs = append(outputs, struct{ flag, path string }{"--baseline", f.baseline})
	}
	for _, out := range outputs {
		if out.path != "" {
			if err := checkParentDir(out.flag, out.path); err != nil {
				return opts, err
			}
		}
	}
	return opts, nil
}

// parsePercent reads a percentage from 0 to most, with or without "%", as
// a fraction.
func parsePercent(flag, s string, most float64) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || x < 0 || x > most {
		return 0, usagef("%s: want a percentage from 0 to %g, got %q", flag, most, s)
	}
	return x / 100, nil
}

// checkParentDir accepts a file path that can be written: through its
// symbolic links, a regular file (or a new one) in a directory that
// exists and takes new files — tried, not guessed from permissions — or
// something that is not a regular file at all, such as a pipe.
func checkParentDir(flag, path string) error {
	target, err := report.ResolveLinks(path)
	if err != nil {
		return usagef("%s: %v", flag, err)
	}
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		return usagef("%s: %s is a directory", flag, path)
	case err == nil && !fi.Mode().IsRegular():
		return nil // a pipe or a device: written in place
	}
	dir := filepath.Dir(target)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef("%s: directory %s does not exist", flag, dir)
	}
	return probeWritable(flag, dir)
}

// probeWritable creates and removes a file in dir, so that an output that
// cannot be written is refused before anything runs.
func probeWritable(flag, dir string) error {
	f, err := os.CreateTemp(dir, ".weakscope-probe-*")
	if err != nil {
		return usagef("%s: cannot write in %s: %v", flag, dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func runCheck(ctx context.Context, stdout, stderr io.Writer, opts checkOptions) error {
	if opts.results != "" {
		return runCheckResults(stdout, opts)
	}
	var base *report.Results
	if !opts.update {
		var err error
		base, err = readResultsFile(opts.baseline)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%w: %s does not exist (write it with --update)", errNoBaseline, opts.baseline)
		case err != nil:
			return &usageError{err}
		}
	}

	o := opts.run
	o.Settings = withToolchains(opts.toolchains, o.Settings)
	runs, notes := plan(opts.scenarios, o), []string(nil)
	if base != nil {
		var err error
		if runs, notes, err = planCheck(base, opts); err != nil {
			return err
		}
	}
	// Every toolchain's worker is ready, or the check stops, before
	// anything runs.
	workers, err := prepareToolchains(ctx, stderr, plannedToolchains(runs), opts.scenarios)
	if err != nil {
		return err
	}
	for i := range runs {
		runs[i].opts.Toolchains = workers
	}
	now, err := runScenarios(ctx, stderr, runs, opts.progress)
	if err != nil {
		return err
	}

	if opts.update {
		if err := render.WriteTable(stdout, now); err != nil {
			return err
		}
		if now.Failed() {
			return fmt.Errorf("%w: not writing a baseline from a run whose expectations fail", errCheckFailed)
		}
		// A baseline needs the metrics and their runs, not the per-cycle
		// timelines: leaving them out keeps it small and its diffs readable.
		for i := range now.Scenarios {
			for j := range now.Scenarios[i].Variants {
				now.Scenarios[i].Variants[j].Timeline = nil
			}
		}
		kept := 0
		if len(opts.names) > 0 {
			// Only the scenarios named: the baseline keeps the others.
			old, err := readResultsFile(opts.baseline)
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return &usageError{fmt.Errorf("--update with scenarios named replaces them in the baseline, which cannot be read: %w", err)}
			default:
				now, kept = replaceScenarios(old, now), len(old.Scenarios)-countShared(old, now)
			}
		}
		if err := now.WriteFile(opts.baseline); err != nil {
			return fmt.Errorf("writing the baseline: %w", err)
		}
		if kept > 0 {
			others := "other scenarios kept as they were"
			if kept == 1 {
				others = "other scenario kept as it was"
			}
			fmt.Fprintf(stdout, "\nwrote baseline %s: %s updated, %d %s\n", opts.baseline, strings.Join(opts.names, ", "), kept, others)
		} else {
			fmt.Fprintf(stdout, "\nwrote baseline %s\n", opts.baseline)
		}
		return nil
	}

	c := report.Compare(base, now, opts.compare)
	c.Warnings = append(c.Warnings, notes...)
	if unknown := unregistered(base); len(unknown) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the baseline has scenarios this program does not register, not checked: %s (is this the harness that wrote the baseline?)", strings.Join(unknown, ", ")))
	}
	return judge(stdout, c, now, opts)
}

// replaceScenarios is the baseline old with the scenarios of now in place
// of its own of the same names (appended if it has none), and now's
// environment and tool version.
func replaceScenarios(old, now *report.Results) *report.Results {
	out := *now
	out.Scenarios = nil
	fresh := map[string]report.ScenarioResult{}
	for _, sc := range now.Scenarios {
		fresh[sc.Name] = sc
	}
	for _, sc := range old.Scenarios {
		if n, ok := fresh[sc.Name]; ok {
			out.Scenarios = append(out.Scenarios, n)
			delete(fresh, sc.Name)
		} else {
			out.Scenarios = append(out.Scenarios, sc)
		}
	}
	for _, sc := range now.Scenarios {
		if _, ok := fresh[sc.Name]; ok {
			out.Scenarios = append(out.Scenarios, sc)
		}
	}
	return &out
}

// countShared counts old's scenarios that now has too.
func countShared(old, now *report.Results) int {
	n := 0
	for _, a := range old.Scenarios {
		for _, b := range now.Scenarios {
			if a.Name == b.Name {
				n++
				break
			}
		}
	}
	return n
}

// judge prints a comparison, and the retention paths of the results
// judged, writes the summary and JUnit files asked for, and fails when
// the comparison does.
func judge(stdout io.Writer, c *report.Comparison, now *report.Results, opts checkOptions) error {
	if err := render.WriteComparison(stdout, c); err != nil {
		return err
	}
	// A failed expectation brings retention paths (see scenario.Options.Why).
	if err := render.WriteRetention(stdout, now); err != nil {
		return err
	}
	if opts.summary != "" {
		if err := writeRendered(opts.summary, func(w io.Writer) error { return render.WriteComparisonMarkdown(w, c) }); err != nil {
			return err
		}
	}
	if opts.junit != "" {
		if err := writeRendered(opts.junit, func(w io.Writer) error { return render.WriteJUnit(w, c) }); err != nil {
			return err
		}
	}
	if c.Failed() {
		return fmt.Errorf("%w: %s", errCheckFailed, c.Summary())
	}
	return nil
}

// runCheckResults judges a results file against the baseline, as a run
// would be judged, without running anything: both files are read, and
// only the scenarios named, if any, are compared.
func runCheckResults(stdout io.Writer, opts checkOptions) error {
	base, err := readResultsFile(opts.baseline)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s does not exist (write it with run, or check --update)", errNoBaseline, opts.baseline)
	case err != nil:
		return &usageError{err}
	}
	now, err := readResults(opts.results)
	if err != nil {
		return fmt.Errorf("--results: %w", err)
	}
	if len(opts.names) > 0 {
		for _, n := range opts.names {
			if !hasScenario(base, n) && !hasScenario(now, n) {
				return usagef("unknown scenario %q: neither %s nor %s has it (they have %s)", n, opts.baseline, opts.results, strings.Join(unionNames(base, now), ", "))
			}
		}
		base, now = onlyScenarios(base, opts.names), onlyScenarios(now, opts.names)
	}
	if len(now.Scenarios) == 0 {
		return usagef("--results: %s has none of the scenarios asked for", opts.results)
	}
	// A run is checked at its baseline's parameters; two files can only be
	// refused when they differ, as their numbers do not compare.
	for _, s := range now.Scenarios {
		for _, b := range base.Scenarios {
			if b.Name == s.Name && !b.Params.Equal(s.Params) {
				return usagef("--results: %s ran at %s in %s but at %s in the baseline %s: the numbers do not compare (run it at the baseline's parameters, or check it with a run)",
					s.Name, s.Params.String(), opts.results, b.Params.String(), opts.baseline)
			}
		}
	}
	if !slices.ContainsFunc(now.Scenarios, func(s report.ScenarioResult) bool { return hasScenario(base, s.Name) }) {
		return fmt.Errorf("%w: %s covers none of the scenarios of %s (it has %s; %s has %s)", errNoBaseline, opts.baseline, opts.results,
			strings.Join(unionNames(base), ", "), opts.results, strings.Join(unionNames(now), ", "))
	}
	c := report.Compare(base, now, opts.compare)
	var notIn []string
	for _, s := range now.Scenarios {
		if !hasScenario(base, s.Name) {
			notIn = append(notIn, s.Name)
		}
	}
	if len(notIn) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("not in the baseline, so shown as new and not judged: %s", strings.Join(notIn, ", ")))
	}
	return judge(stdout, c, now, opts)
}

func hasScenario(r *report.Results, name string) bool {
	return slices.ContainsFunc(r.Scenarios, func(s report.ScenarioResult) bool { return s.Name == name })
}

// unionNames lists the scenarios of the documents, each once.
func unionNames(docs ...*report.Results) []string {
	var out []string
	for _, r := range docs {
		for _, s := range r.Scenarios {
			if !slices.Contains(out, s.Name) {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

// onlyScenarios is r with only the named scenarios.
func onlyScenarios(r *report.Results, names []string) *report.Results {
	out := *r
	out.Scenarios = nil
	for _, s := range r.Scenarios {
		if slices.Contains(names, s.Name) {
			out.Scenarios = append(out.Scenarios, s)
		}
	}
	return &out
}

// plannedToolchains lists the toolchains the runs' settings name, each
// once.
func plannedToolchains(runs []planned) []string {
	var out []string
	for _, r := range runs {
		for _, s := range r.opts.Settings {
			if s.Go != "" && !slices.Contains(out, s.Go) {
				out = append(out, s.Go)
			}
		}
	}
	return out
}

// planCheck decides how to run each scenario to be checked so that it
// compares with base: at the parameters and under the settings the
// baseline recorded for it, not at the scenario's defaults. It says in
// notes what differs from a plain run and which scenarios one side has and
// the other does not, and fails with errNoBaseline when the baseline
// covers none of the scenarios asked for.
func planCheck(base *report.Results, opts checkOptions) ([]planned, []string, error) {
	recorded := map[string]report.ScenarioResult{}
	for _, s := range base.Scenarios {
		recorded[s.Name] = s
	}
	var runs []planned
	var notes, covered, notIn, elsewhere []string
	asked := map[string]bool{}
	platform := report.Platform(report.NewResults().Env)
	for _, sc := range opts.scenarios {
		asked[sc.Name] = true
		o := opts.run
		o.Settings = withToolchains(opts.toolchains, o.Settings)
		rec, ok := recorded[sc.Name]
		if ok {
			// A baseline merged from several machines' runs judges this
			// machine's part.
			var here bool
			if rec, here = onThisMachine(rec, platform); !here {
				ok = false
				elsewhere = append(elsewhere, sc.Name)
			}
		}
		if !ok {
			notIn = append(notIn, sc.Name)
			runs = append(runs, planned{sc, o})
			continue
		}
		covered = append(covered, sc.Name)
		o.Params = rec.Params
		if !rec.Params.Equal(sc.Defaults) {
			notes = append(notes, fmt.Sprintf("%s runs at the baseline's parameters, %s, not at its defaults, %s", sc.Name, rec.Params.String(), sc.Defaults.String()))
		}
		sets := recordedSettings(rec)
		if len(opts.toolchains) > 0 {
			// --go says which toolchains; the baseline which GOGC and
			// GOMEMLIMIT.
			var runtimes []report.Setting
			for _, set := range sets {
				if !slices.Contains(runtimes, set.Runtime()) {
					runtimes = append(runtimes, set.Runtime())
				}
			}
			if len(runtimes) == 1 && runtimes[0] == (report.Setting{}) {
				runtimes = nil
			}
			sets = withToolchains(opts.toolchains, runtimes)
		}
		if len(sets) > 0 {
			o.Settings = sets
			if len(opts.toolchains) == 0 || slices.ContainsFunc(sets, func(s report.Setting) bool { return s.Runtime() != (report.Setting{}) }) {
				names := make([]string, len(sets))
				for i, s := range sets {
					names[i] = s.String()
				}
				notes = append(notes, fmt.Sprintf("%s runs under the baseline's settings: %s", sc.Name, strings.Join(names, "; ")))
			}
		}
		runs = append(runs, planned{sc, o})
	}
	if len(elsewhere) > 0 {
		notes = append(notes, fmt.Sprintf("the baseline has %s only for other machines than this %s", strings.Join(elsewhere, ", "), platform))
	}
	if len(covered) == 0 {
		var have []string
		for _, s := range base.Scenarios {
			have = append(have, s.Name)
		}
		return nil, nil, fmt.Errorf("%w: %s covers none of the scenarios to check (it has %s; checking %s): write one for them with --update",
			errNoBaseline, opts.baseline, strings.Join(have, ", "), strings.Join(scenarioNames(opts.scenarios), ", "))
	}
	if len(notIn) > 0 {
		notes = append(notes, fmt.Sprintf("not in the baseline, so shown as new and not judged: %s (refresh the baseline with --update to guard them)", strings.Join(notIn, ", ")))
	}
	var skipped []string
	for _, s := range base.Scenarios {
		if _, err := scenario.Lookup(s.Name); err == nil && !asked[s.Name] {
			skipped = append(skipped, s.Name)
		}
	}
	if len(skipped) > 0 {
		notes = append(notes, fmt.Sprintf("the baseline also has %s, not checked now (not asked for)", strings.Join(skipped, ", ")))
	}
	return runs, notes, nil
}

// recordedSettings are the settings — runtime and toolchain — a
// baseline's scenario was run under, in the order first seen, or none for
// a run under the environment's.
func recordedSettings(s report.ScenarioResult) []report.Setting {
	var out []report.Setting
	for _, v := range s.Variants {
		if !slices.Contains(out, v.Setting) {
			out = append(out, v.Setting)
		}
	}
	if len(out) == 1 && out[0] == (report.Setting{}) {
		return nil
	}
	return out
}

// onThisMachine is a baseline's scenario with only the variants measured
// on this machine, of the given platform, their machine label removed: all
// of them in a baseline of one machine, this platform's in one merged from
// several. It reports false when none is.
func onThisMachine(s report.ScenarioResult, platform string) (report.ScenarioResult, bool) {
	if !slices.ContainsFunc(s.Variants, func(v report.VariantResult) bool { return v.Setting.Machine != "" }) {
		return s, true
	}
	out := s
	out.Variants = nil
	for _, v := range s.Variants {
		if v.Setting.Machine == platform {
			v.Setting.Machine = ""
			out.Variants = append(out.Variants, v)
		}
	}
	return out, len(out.Variants) > 0
}

func scenarioNames(scs []*scenario.Scenario) []string {
	out := make([]string, len(scs))
	for i, s := range scs {
		out[i] = s.Name
	}
	return out
}

// unregistered lists the scenarios of r that this program does not
// register.
func unregistered(r *report.Results) []string {
	var out []string
	for _, s := range r.Scenarios {
		if _, err := scenario.Lookup(s.Name); err != nil {
			out = append(out, s.Name)
		}
	}
	return out
}

// writeRendered renders into memory and then writes the file atomically.
// A path that is not a regular file (such as a pipe) is written directly.
func writeRendered(path string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return os.WriteFile(path, b.Bytes(), 0o644)
	}
	return report.WriteFileAtomic(path, b.Bytes())
}
