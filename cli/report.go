package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

type reportOptions struct {
	files  []string
	format render.Format
	out    string
	merge  report.MergeOptions
}

func newReportCmd(stdout io.Writer) *cobra.Command {
	var format, out string
	var mixed bool
	cmd := &cobra.Command{
		Use:   "report RESULTS.json...",
		Short: "Render saved results again, or merge several machines' or toolchains' results into one report",
		Long: `Render a saved results.json again — the table in any format on stdout and,
with --out, the files a run writes (results.json, retention.pb.gz,
report.html, one chart per scenario) — without running anything.

Given several results files (a CI matrix's jobs, runs with different Go
versions), merge them into one document and one report: every variant
gains the machine (its GOOS/GOARCH, or its file's directory where the
platforms are the same) and the toolchain it was measured with wherever
the files differ in them, the tables get a column each, the charts a line
each, and the report shows retained memory with one column per
environment and the metrics that differ from the first file's beyond
check's tolerance. Files whose scenarios ran at different parameters are
refused (exit 2) unless --allow-mixed-params; a file that is not a
weakscope results document, of either schema, is refused always.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("report takes one or more results files, got none")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := render.ParseFormat(format)
			if err != nil {
				return usagef("--format: %v", err)
			}
			if out != "" {
				if err := checkOutDir(out); err != nil {
					return err
				}
			}
			if mixed && len(args) < 2 {
				return usagef("--allow-mixed-params: merges several results files; there is one")
			}
			return runReport(stdout, reportOptions{files: args, format: f, out: out, merge: report.MergeOptions{MixedParams: mixed}})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "stdout format: table, markdown, csv, json or bench")
	cmd.Flags().StringVar(&out, "out", "", "also write the report files into this directory")
	cmd.Flags().BoolVar(&mixed, "allow-mixed-params", false, "merge results whose scenarios ran at different parameters (the report notes which)")
	completeFlags(cmd, map[string][]string{"format": formatNames()})
	return cmd
}

func runReport(stdout io.Writer, opts reportOptions) error {
	res, err := readReport(opts)
	if err != nil {
		return err
	}
	if opts.out != "" {
		if err := os.MkdirAll(opts.out, 0o755); err != nil {
			return usagef("--out: %v", err)
		}
		if len(opts.files) > 1 {
			relativeProfiles(res, opts.out)
		}
		if err := render.WriteFiles(opts.out, res); err != nil {
			return fmt.Errorf("writing %s: %w", opts.out, err)
		}
	}
	return render.Write(stdout, res, opts.format)
}

// readReport reads the results file, or reads the several and merges
// them; every way that fails is a usage error naming the file.
func readReport(opts reportOptions) (*report.Results, error) {
	var inputs []report.MergeInput
	for _, f := range opts.files {
		res, err := readResults(f)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, report.MergeInput{File: f, Results: res})
	}
	if len(inputs) == 1 {
		return inputs[0].Results, nil
	}
	merged, err := report.Merge(inputs, opts.merge)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), report.ErrMismatch.Error()+": ")
		if strings.Contains(msg, "different parameters") {
			msg += " (merge them anyway with --allow-mixed-params)"
		}
		return nil, usagef("%s", msg)
	}
	return merged, nil
}

// relativeProfiles makes the heap profile paths of a merged document,
// which Merge gave relative to the working directory, relative to out,
// where its results.json goes.
func relativeProfiles(r *report.Results, out string) {
	for i := range r.Scenarios {
		for j := range r.Scenarios[i].Variants {
			v := &r.Scenarios[i].Variants[j]
			if v.Profile == "" {
				continue
			}
			abs, err1 := filepath.Abs(filepath.FromSlash(v.Profile))
			dir, err2 := filepath.Abs(out)
			if rel, err := filepath.Rel(dir, abs); err1 == nil && err2 == nil && err == nil {
				v.Profile = filepath.ToSlash(rel)
			}
		}
	}
}

// readResults reads a results file; every way it can be wrong is a usage
// error that names the file.
func readResults(name string) (*report.Results, error) {
	res, err := readResultsFile(name)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, usagef("%s: no such file", name)
	}
	return nil, &usageError{err}
}
