//go:build !unix

package scenario

import "time"

// processCPU is not available here; cpu_ns is then left out of the results.
func processCPU() (time.Duration, bool) { return 0, false }
