//go:build unix

package scenario

import (
	"os"
	"syscall"
)

// closeOnExec keeps f from the processes this one starts.
func closeOnExec(f *os.File) { syscall.CloseOnExec(int(f.Fd())) }
