package inspect

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// smallDir is a directory on a 256 KiB file system, far smaller than any
// heap dump.
func smallDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// A heap dump that cannot fit is refused before it is written, and one
// that was cut short says so, where, and how much it needed — not "unexpected
// EOF" from the reader.
func TestDumpNoRoom(t *testing.T) {
	dir := smallDir(t)
	x := new([64]byte)
	target := []uintptr{uintptr(unsafe.Pointer(x))}

	_, err := RetentionPaths(context.Background(), target, WithTempDir(dir))
	if !errors.Is(err, ErrNoRoom) || !strings.Contains(err.Error(), "needs about") || !strings.Contains(err.Error(), dir) {
		t.Errorf("dump into 256 KiB: %v, want ErrNoRoom saying how much it needs, in %s", err, dir)
	}

	// Past the estimate, the dump fills the file system and is cut short.
	old := estimateDump
	estimateDump = func() uint64 { return 0 }
	defer func() { estimateDump = old }()
	_, err = RetentionPaths(context.Background(), target, WithTempDir(dir))
	if !errors.Is(err, ErrNoRoom) || !strings.Contains(err.Error(), "cut short") || !strings.Contains(err.Error(), "the file system is full") {
		t.Errorf("dump that fills the file system: %v, want ErrNoRoom saying it was cut short", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the cut dump was left behind: %v", entries)
	}
	runtime.KeepAlive(x)
}
