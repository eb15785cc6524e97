package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalError is the cause of a context ended by a signal.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	switch e.sig {
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	case syscall.SIGHUP:
		return "hung up (SIGHUP)"
	}
	return "interrupted"
}

// exitCode is the shell's code for a process ended by the signal: 128 plus
// its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func (e *signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitInterrupted
}

// signalContext is a context that ends at the first SIGINT, SIGTERM or
// SIGHUP — Ctrl-C, a CI runner cancelling the job, a closed terminal —
// with the signal as its cause. Whatever runs then stops as it does for
// Ctrl-C: workers are killed, staging directories removed, nothing half
// written is published.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(&signalError{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
