package scenario

import (
	"os/exec"
	"syscall"
)

// dieWithParent has Linux kill the worker when the process that started it
// dies, even by SIGKILL, which gives it no chance to clean up.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
