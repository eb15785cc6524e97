// Package cli is weakscope's whole command line as a library: run, list,
// report, check, version, completion and the hidden worker command, for
// whatever scenarios the program registered. weakscope's own binary is
//
//	func main() { os.Exit(cli.Main()) }
//
// plus a blank import of the built-in catalogue
// (github.com/weakscope/weakscope/scenario/catalogue); a harness for a
// user's own holders is the same two lines with the user's scenarios
// registered (with or without the catalogue), and gets every flag,
// process isolation (the child processes are the harness itself),
// results.json, profiles, the HTML report and check with baselines, JUnit
// and step summaries. With --go, run and check build the program's main
// package again with each Go toolchain listed (from its source, which must
// be at hand: see the README) and run every variant under each.
//
// Exit codes: 0 success, 1 a check failed (a regression, an expectation
// not met, a variant that could not be measured), 2 usage or bad input (a
// toolchain that cannot be had among them), 3 no baseline where one is
// required, 130 / 143 / 129 interrupted by SIGINT / SIGTERM / SIGHUP.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/weakscope/weakscope/report/render"
	"github.com/weakscope/weakscope/scenario"
)

// Main runs the command line in os.Args and returns the exit code, for
// main to pass to os.Exit. In a process that a run started as a worker it
// serves the worker's job and exits instead (see scenario.HandleWorker).
func Main() int {
	return Run(os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs the command line args (without the program name), writing to
// stdout and stderr, and returns the exit code; it never calls os.Exit,
// except in a process started as a worker, which it serves and ends (see
// scenario.HandleWorker). Errors are printed once, on one line, as
// "weakscope: <message>".
func Run(args []string, stdout, stderr io.Writer) int {
	scenario.HandleWorker()
	var started bool
	out := &checkedWriter{w: stdout}
	var tables io.Writer = out
	if isTerminal(stdout) {
		tables = render.Sized(out, terminalWidth(stdout))
	}
	root := newRootCmd(tables, stderr, &started)
	root.SetArgs(args)
	ctx, stop := signalContext()
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil && out.err != nil {
		// A table nobody could read is a failed command: "list > /dev/full".
		err = fmt.Errorf("writing standard output: %w", out.err)
	}
	if err == nil {
		return exitOK
	}
	if !started {
		// cobra rejected the command line (unknown command or flag, bad
		// arguments) before any command ran.
		err = &usageError{err}
	}
	code := exitCode(err)
	if code == exitInterrupted {
		if sig, ok := context.Cause(ctx).(*signalError); ok {
			code = sig.exitCode()
			err = fmt.Errorf("%v; nothing was written", sig)
		} else {
			err = errors.New("interrupted; nothing was written")
		}
	}
	writeError(stderr, err)
	return code
}

// checkedWriter remembers the first error writing to w.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
