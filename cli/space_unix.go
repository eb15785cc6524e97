//go:build unix

package cli

import "syscall"

// freeSpace is the space an unprivileged writer may still use in dir's
// file system.
func freeSpace(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
