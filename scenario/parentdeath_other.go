//go:build !linux

package scenario

import "os/exec"

// dieWithParent does nothing where the kernel offers no parent-death
// signal; the worker notices its job pipe closing instead (watchParent).
func dieWithParent(*exec.Cmd) {}
