//go:build unix

package scenario

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used so far, user and
// system, on all threads: the variant's own goroutine and the runtime's GC
// workers alike. Unlike wall time it does not grow while the process waits
// for a CPU that other processes are using.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
