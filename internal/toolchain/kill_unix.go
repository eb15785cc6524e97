//go:build unix

package toolchain

import (
	"os/exec"
	"syscall"
	"time"
)

// killGroup starts cmd in a process group of its own and, when its context
// ends, kills the whole group: the go command, the toolchain it switched
// to, and the compilers and linker they started.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}
