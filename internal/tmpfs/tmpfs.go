// Package tmpfs mounts small file systems for tests of what weakscope does
// when a disk is full or read-only. Mounting needs root; where it cannot be
// done the test is skipped, so the tests that use it run in CI (as root)
// and skip elsewhere.
package tmpfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Mount mounts a tmpfs of size (such as "64k") with the mount options opts
// (such as "ro") on a new directory in t's temporary directory, unmounts
// it when the test ends, and returns the directory. It skips the test when
// not running as root or when the mount fails.
func Mount(t testing.TB, size string, opts ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := "size=" + size
	for _, x := range opts {
		o += "," + x
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}
