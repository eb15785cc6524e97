package inspect_test

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/inspect/heapdump"
)

// bigDump opens the dump named by $WEAKSCOPE_DUMP (scripts/heapbench.sh
// writes one of a million objects), or skips.
func bigDump(b *testing.B) string {
	name := os.Getenv("WEAKSCOPE_DUMP")
	if name == "" {
		b.Skip("set WEAKSCOPE_DUMP to a heap dump (scripts/heapbench.sh)")
	}
	return name
}

func readBig(b *testing.B, name string) *heapdump.Dump {
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	d, err := heapdump.Read(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// liveBytes is the live heap after a full collection.
func liveBytes() uint64 {
	runtime.GC()
	return inspect.Read().HeapLiveBytes
}

// BenchmarkReadDump reads the dump: its speed in MB/s, and the live memory
// the result keeps per object.
func BenchmarkReadDump(b *testing.B) {
	name := bigDump(b)
	fi, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		readBig(b, name)
	}
	b.StopTimer()
	base := liveBytes()
	d := readBig(b, name)
	with := liveBytes()
	b.ReportMetric(float64(int64(with)-int64(base))/float64(len(d.Objects)), "live-B/object")
	runtime.KeepAlive(d)
}

// BenchmarkAnalyzeDump analyses the dump (dominators, summary, top 10 with
// paths): its time, and the live memory the analysis keeps per object
// beyond the dump's own.
func BenchmarkAnalyzeDump(b *testing.B) {
	d := readBig(b, bigDump(b))
	for b.Loop() {
		if _, err := inspect.AnalyzeHeap(context.Background(), d, inspect.WithTop(10)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	base := liveBytes()
	a, err := inspect.AnalyzeHeap(context.Background(), d, inspect.WithTop(10))
	if err != nil {
		b.Fatal(err)
	}
	with := liveBytes()
	b.ReportMetric(float64(int64(with)-int64(base))/float64(len(d.Objects)), "live-B/object")
	b.ReportMetric(float64(len(d.Objects)), "objects")
	runtime.KeepAlive(a)
	runtime.KeepAlive(d)
}
