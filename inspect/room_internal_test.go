package inspect

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/weakscope/weakscope/internal/tmpfs"
	"unsafe"
)

// smallDir is a directory on a 256 KiB file system, far smaller than any
// heap dump.
func smallDir(t *testing.T) string {
	t.Helper()
	dir := tmpfs.Mount(t, "256k")
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
