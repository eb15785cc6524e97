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
	update                                    bool
}

// checkOptions is a validated check.
type checkOptions struct {
	baseline  string
	scenarios []*scenario.Scenario
	run       scenario.Options
	compare   report.CompareOptions
	update    bool
	summary   string
	junit     string
	progress  progressMode
}

func newCheckCmd(stdout, stderr io.Writer) *cobra.Command {
	f := checkFlags{}
	cmd := &cobra.Command{
		Use:   "check --baseline FILE [SCENARIO...]",
		Short: "Fail when memory retention regresses against a baseline (for CI)",
		Long: `Run the scenarios (--count times each, every variant in its own process),
compare every metric with the baseline and check every expectation.

Retention metrics (retained bytes and objects, entries, cycles to release),
measured after a forced, settled GC, are compared as values: a change
counts when it exceeds --tolerance and a small absolute floor. Time metrics,
and metrics a scenario marks as varying by design, are compared
statistically over the runs (Mann–Whitney U): a change counts only if it is
significant and the medians differ by more than --stat-tolerance (default
200%: on a shared machine or CI runner wall time doubles under load).
Metrics a scenario marks as varying by design are shown, never judged. A
failed expectation fails the check whatever the baseline says.

Exit status: 0 within bounds, 1 a regression or a failed expectation,
2 bad input, 3 the baseline does not exist. --update writes the baseline
(atomically) instead of comparing.`,
		RunE: func(cmd *cobra.Command, args []string) error {
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
	return cmd
}

func (f checkFlags) validate(args []string) (checkOptions, error) {
	opts := checkOptions{baseline: f.baseline, update: f.update, summary: f.summary, junit: f.junit, run: scenario.DefaultOptions(), compare: report.DefaultCompareOptions()}
	if f.baseline == "" {
		return opts, usagef("--baseline: a baseline file is required (write one with --baseline FILE --update)")
	}
	var err error
	if opts.scenarios, err = lookupScenarios(args); err != nil {
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
	target, err := resolveLinks(path)
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

// resolveLinks follows path's symbolic links to the file they name, which
// need not exist yet.
func resolveLinks(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

func runCheck(ctx context.Context, stdout, stderr io.Writer, opts checkOptions) error {
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

	now, err := runScenarios(ctx, stderr, opts.scenarios, opts.run, opts.progress)
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
		if err := now.WriteFile(opts.baseline); err != nil {
			return fmt.Errorf("writing the baseline: %w", err)
		}
		fmt.Fprintf(stdout, "\nwrote baseline %s\n", opts.baseline)
		return nil
	}

	c := report.Compare(base, now, opts.compare)
	if unknown := unregistered(base); len(unknown) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the baseline has scenarios this program does not register, not checked: %s (is this the harness that wrote the baseline?)", strings.Join(unknown, ", ")))
	}
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
