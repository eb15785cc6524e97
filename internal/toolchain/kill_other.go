//go:build !unix

package toolchain

import (
	"os/exec"
	"time"
)

// killGroup kills the go command when its context ends; what it started
// ends with it or soon after.
func killGroup(cmd *exec.Cmd) {
	cmd.WaitDelay = 5 * time.Second
}
