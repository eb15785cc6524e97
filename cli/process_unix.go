//go:build unix

package cli

import (
	"errors"
	"syscall"
)

// processGone reports whether no process has the given ID.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
