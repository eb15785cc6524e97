package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
)

type reportOptions struct {
	file   string
	format render.Format
	out    string
}

func newReportCmd(stdout io.Writer) *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "report RESULTS.json",
		Short: "Render a saved results.json again, without running anything",
		Long: `Render a saved results.json again — the table in any format on stdout and,
with --out, the files a run writes (results.json, retention.pb.gz,
report.html, one chart per scenario) — without running anything.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("report takes one results file, got %d arguments", len(args))
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
			return runReport(stdout, reportOptions{file: args[0], format: f, out: out})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "stdout format: table, markdown, csv, json or bench")
	cmd.Flags().StringVar(&out, "out", "", "also write the report files into this directory")
	completeFlags(cmd, map[string][]string{"format": formatNames()})
	return cmd
}

func runReport(stdout io.Writer, opts reportOptions) error {
	res, err := readResults(opts.file)
	if err != nil {
		return err
	}
	if opts.out != "" {
		if err := os.MkdirAll(opts.out, 0o755); err != nil {
			return usagef("--out: %v", err)
		}
		if err := render.WriteFiles(opts.out, res); err != nil {
			return fmt.Errorf("writing %s: %w", opts.out, err)
		}
	}
	return render.Write(stdout, res, opts.format)
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
