package inspect

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// WriteHeapDumpFile runs a GC cycle (so that the dump holds what is live,
// not garbage) and writes a heap dump of this process to a new temporary
// file in dir (os.TempDir when ""), rewound for reading; the caller closes
// and removes it. It refuses, with an error wrapping ErrNoRoom, when the
// file system says the dump (about the live heap) cannot fit, and when the
// disk filled up while writing it.
func WriteHeapDumpFile(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	runtime.GC()
	need := estimateDump()
	if free, ok := freeSpace(dir); ok && free < need {
		return nil, fmt.Errorf("%w: it needs about %s in %s, which has %s free", ErrNoRoom, formatSize(need), dir, formatSize(free))
	}
	f, err := os.CreateTemp(dir, "weakscope-*.heapdump")
	if err != nil {
		return nil, err
	}
	debug.WriteHeapDump(f.Fd())
	if free, ok := freeSpace(dir); ok && free < 1<<20 {
		// WriteHeapDump reports no error: a full disk cuts the dump short.
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("%w: the file system of %s filled up while writing it", ErrNoRoom, dir)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}
