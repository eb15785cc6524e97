package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes, as fixed in the design: every error a command returns is
// mapped to one of these in exitCode, and nowhere else.
const (
	exitOK          = 0
	exitFailed      = 1   // a check failed: a regression or an unmet expectation
	exitUsage       = 2   // bad flag, argument or input file
	exitNoBaseline  = 3   // no baseline where one is required
	exitInterrupted = 130 // SIGINT
)

// usageError marks an error the user can fix by changing the command line
// or an input file. Its message names the flag or file.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

var (
	// errCheckFailed is wrapped by errors that mean "the run worked and
	// found a problem", which exit with code 1.
	errCheckFailed = errors.New("check failed")
	// errNoBaseline is wrapped when a required baseline file is absent.
	errNoBaseline = errors.New("no baseline")
)

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, errNoBaseline):
		return exitNoBaseline
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	default:
		return exitFailed
	}
}

// writeError prints err on one line, prefixed with the program name.
func writeError(w io.Writer, err error) {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintf(w, "weakscope: %s\n", msg)
}
