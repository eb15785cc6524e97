// Command weakscope shows what Go's weak references, cleanups and interning
// really release: it runs canned scenarios that hold the same objects in
// strong and weak containers, watches every GC cycle, and reports retained
// memory, cycles to release and cost.
//
// Usage:
//
//	weakscope version
//	weakscope completion bash|zsh|fish|powershell
//
// Run "weakscope --help" for the full list of commands.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit code.
// Errors are printed here, once, as "weakscope: <message>".
func run(args []string, stdout, stderr io.Writer) int {
	var started bool
	root := newRootCmd(stdout, stderr, &started)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := root.ExecuteContext(ctx)
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
		err = errors.New("interrupted; nothing was written")
	}
	writeError(stderr, err)
	return code
}
