package heapdump_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/weakscope/weakscope/inspect/heapdump"
)

// writeDump dumps the heap of the test process and returns the dump.
//
// It collects first: a dump holds the garbage not yet collected, in full,
// such as the previous dump read into memory, and would double in size
// each time.
func writeDump(tb testing.TB) []byte {
	tb.Helper()
	runtime.GC()
	name := filepath.Join(tb.TempDir(), "heap.dump")
	f, err := os.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	debug.WriteHeapDump(f.Fd())
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func readDump(tb testing.TB, data []byte) *heapdump.Dump {
	tb.Helper()
	d, err := heapdump.Read(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("Read of a dump of %d bytes: %v", len(data), err)
	}
	return d
}

type leaf struct {
	next *leaf
	_    [3]uint64
}

// pair is 32 bytes with pointers at offsets 0, 8 and 24.
type pair struct {
	a, b *leaf
	n    uint64
	c    *leaf
}

var kept *pair

func finalizeLeaf(*leaf) {}

func TestReadOwnDump(t *testing.T) {
	l1, l2 := &leaf{}, &leaf{}
	kept = &pair{a: l1, n: 42, c: l2} // b stays nil
	withFinalizer := &leaf{}
	runtime.SetFinalizer(withFinalizer, finalizeLeaf)
	t.Cleanup(func() { kept = nil })

	d := readDump(t, writeDump(t))

	p := d.Params
	if p.PtrSize != int(unsafe.Sizeof(uintptr(0))) || p.Arch != runtime.GOARCH || p.GoVersion != runtime.Version() ||
		p.NCPU != runtime.NumCPU() || p.BigEndian != (binary.NativeEndian.Uint16([]byte{0, 1}) == 1) {
		t.Errorf("Params = %+v, want this process's", p)
	}

	addr := uint64(uintptr(unsafe.Pointer(kept)))
	if addr < p.HeapStart || addr >= p.HeapEnd {
		t.Fatalf("object at %#x outside the heap [%#x, %#x)", addr, p.HeapStart, p.HeapEnd)
	}
	i, ok := d.Find(addr)
	if !ok {
		t.Fatalf("Find(%#x) found nothing", addr)
	}
	o := d.Objects[i]
	if o.Addr != addr || o.Size != uint64(unsafe.Sizeof(pair{})) || !o.HasPointers || o.First != uint64(uintptr(unsafe.Pointer(l1))) {
		t.Errorf("object = %+v, want address %#x, size %d, pointers, first word %p", o, addr, unsafe.Sizeof(pair{}), l1)
	}
	want := []heapdump.Pointer{
		{Offset: 0, Value: uint64(uintptr(unsafe.Pointer(l1)))},
		{Offset: 24, Value: uint64(uintptr(unsafe.Pointer(l2)))},
	}
	if got := d.Pointers(i); !equalPointers(got, want) {
		t.Errorf("pointers = %+v, want %+v", got, want)
	}
	if j, ok := d.Find(addr + 17); !ok || j != i {
		t.Errorf("Find of an interior address = %d, %v; want %d, true", j, ok, i)
	}
	if _, ok := d.Find(uint64(uintptr(unsafe.Pointer(&kept)))); ok {
		t.Error("Find found a global variable in the heap")
	}

	// The global kept holds the object: a pointer word of the bss.
	var bss *heapdump.Segment
	for k := range d.Segments {
		if d.Segments[k].Name == "bss" {
			bss = &d.Segments[k]
		}
	}
	if len(d.Segments) != 2 || bss == nil {
		t.Fatalf("segments = %d, want data and bss", len(d.Segments))
	}
	off := uint64(uintptr(unsafe.Pointer(&kept))) - bss.Addr
	if !containsPointer(bss.Pointers, heapdump.Pointer{Offset: off, Value: addr}) {
		t.Errorf("bss has no pointer word at +%#x holding %#x", off, addr)
	}

	fin := uint64(uintptr(unsafe.Pointer(withFinalizer)))
	found := false
	for _, f := range d.Finalizers {
		if f.Obj == fin {
			found = true
			if fn := runtime.FuncForPC(uintptr(f.FnPC)); fn == nil || !strings.HasSuffix(fn.Name(), ".finalizeLeaf") {
				t.Errorf("finalizer function at %#x is not finalizeLeaf", f.FnPC)
			}
		}
	}
	if !found {
		t.Errorf("no finalizer on %#x among %d", fin, len(d.Finalizers))
	}
	runtime.KeepAlive(withFinalizer)

	for k := 1; k < len(d.Objects); k++ {
		if prev := d.Objects[k-1]; prev.Addr+prev.Size > d.Objects[k].Addr {
			t.Fatalf("objects %d and %d overlap or are out of order: %+v, %+v", k-1, k, prev, d.Objects[k])
		}
	}
	if d.MemStats.HeapObjects == 0 || d.MemStats.HeapAlloc == 0 {
		t.Errorf("memstats not read: %+v", d.MemStats)
	}
}

func equalPointers(a, b []heapdump.Pointer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsPointer(ps []heapdump.Pointer, p heapdump.Pointer) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// parkOnChannel keeps a new leaf in a local variable while it waits, and
// sends its address.
//
//go:noinline
func parkOnChannel(started chan<- uintptr, ch <-chan struct{}) {
	l := newLeaf()
	started <- uintptr(unsafe.Pointer(l))
	<-ch
	runtime.KeepAlive(l)
}

//go:noinline
func newLeaf() *leaf { return &leaf{} }

func TestReadGoroutineFrames(t *testing.T) {
	started, release := make(chan uintptr), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		parkOnChannel(started, release)
	}()
	local := uint64(<-started)
	defer func() { close(release); <-done }()

	// The goroutine parks right after it said it started; give it a
	// budget to get there.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := readDump(t, writeDump(t))
		var frame *heapdump.Frame
		for i, f := range d.Frames {
			if strings.HasSuffix(f.Func, "heapdump_test.parkOnChannel") {
				frame = &d.Frames[i]
			}
		}
		if frame == nil {
			t.Fatalf("no frame of parkOnChannel among %d frames", len(d.Frames))
		}
		var g *heapdump.Goroutine
		for i := range d.Goroutines {
			if d.Goroutines[i].ID == frame.Goroutine {
				g = &d.Goroutines[i]
			}
		}
		if g == nil {
			t.Fatalf("frame of parkOnChannel names goroutine %d, not in the dump", frame.Goroutine)
		}
		if frame.Depth == 0 || frame.Size == 0 || frame.Entry == 0 {
			t.Errorf("frame = %+v, want a caller of the runtime's park with a size and an entry", *frame)
		}
		held := false
		for _, p := range frame.Pointers {
			held = held || p.Value == local && p.Offset < frame.Size
		}
		if !held {
			t.Errorf("frame's pointers %+v do not hold its local %#x", frame.Pointers, local)
		}
		if g.WaitReason == "chan receive" {
			if g.System {
				t.Error("a test goroutine counted as a system goroutine")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutine %d waits for %q, want chan receive", g.ID, g.WaitReason)
		}
		time.Sleep(time.Millisecond)
	}
}

// uv appends the varint encoding of each of vs to b.
func uv(b []byte, vs ...uint64) []byte {
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func str(b []byte, s string) []byte { return append(uv(b, uint64(len(s))), s...) }

// params is a valid params record for a little-endian 64-bit heap at
// [0x1000, 0x100000).
func params() []byte {
	b := uv([]byte(heapdump.Header), 6, 0, 8, 0x1000, 0x100000)
	b = str(b, "amd64")
	b = str(b, "go1.26")
	return uv(b, 2)
}

func TestReadSynthetic(t *testing.T) {
	b := params()
	// An object at 0x2000 of 24 bytes: pointers at 0 (into the heap),
	// 8 (nil) and 16 (outside the heap).
	obj := make([]byte, 24)
	binary.LittleEndian.PutUint64(obj[0:], 0x3000)
	binary.LittleEndian.PutUint64(obj[16:], 0x10)
	b = uv(b, 1, 0x2000, 24)
	b = append(b, obj...)
	b = uv(b, 1, 0, 1, 8, 1, 16, 0)
	b = uv(b, 1, 0x3000, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0) // pointer-free, listed out of order
	b = uv(b, 0)
	d, err := heapdump.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Objects) != 2 || d.Objects[0].Addr != 0x2000 || d.Objects[1].Addr != 0x3000 {
		t.Fatalf("objects = %+v, want 0x2000 and 0x3000 in order", d.Objects)
	}
	i, ok := d.Find(0x2000 + 23)
	if !ok || i != 0 || !d.Objects[0].HasPointers || d.Objects[1].HasPointers {
		t.Errorf("Find(0x2017) = %d, %v; objects %+v", i, ok, d.Objects)
	}
	if got := d.Pointers(0); !equalPointers(got, []heapdump.Pointer{{Offset: 0, Value: 0x3000}}) {
		t.Errorf("pointers = %+v, want only the one into the heap", got)
	}
	if _, ok := d.Find(0x2000 + 24); ok {
		t.Error("Find found an address just past an object")
	}
}

func TestReadMalformed(t *testing.T) {
	huge := uint64(1) << 60
	for _, tc := range []struct {
		name   string
		in     []byte
		record string
		want   string
	}{
		{"empty", nil, "header", "unexpected EOF"},
		{"bad header", []byte("go1.6 heap dump\n\x00"), "header", "not a heap dump"},
		{"no end", params(), "next", "unexpected EOF"},
		{"unknown tag", uv(params(), 99), "unknown", "unknown tag 99"},
		{"record before params", uv([]byte(heapdump.Header), 1, 0x2000, 0, 0, 0), "object", "before the params"},
		{"huge string", uv([]byte(heapdump.Header), 6, 0, 8, 0, 0, huge), "params", "unexpected EOF"},
		{"huge object", uv(params(), 1, 0x2000, huge, 1, 2, 3), "object", "unexpected EOF"},
		{"huge memprof", uv(params(), 16, 1, 2, huge, 0, 0, 0), "memprof bucket", "unexpected EOF"},
		{"varint overflow", append(params(), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), "next", "overflows"},
		{"bad bool", uv([]byte(heapdump.Header), 6, 2), "params", "boolean 2"},
		{"pointer size", uv([]byte(heapdump.Header), 6, 0, 3, 0, 0, 0, 0, 0), "params", "pointer size 3"},
		{"second params", append(params(), params()[len(heapdump.Header):]...), "params", "second params"},
		{"pointer outside", append(uv(params(), 1, 0x2000, 8), 0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0), "object", "outside 8 bytes"},
		{"field kind", append(uv(params(), 1, 0x2000, 8), 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0), "object", "field kind 2"},
		{"overlap", append(append(uv(params(), 1, 0x2000, 16), make([]byte, 17)...), uv(nil, 1, 0x2008, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)...), "end", "overlap"},
		{"frame first", append(uv(params(), 5, 0, 0, 0, 0, 0, 0, 0), 0, 0), "stack frame", "before any goroutine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			d, err := heapdump.Read(bytes.NewReader(tc.in))
			runtime.ReadMemStats(&after)
			var fe *heapdump.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Read = %v, %v; want a *FormatError", d, err)
			}
			if fe.Record != tc.record || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q in %s record, want %q in %s record", err, fe.Record, tc.want, tc.record)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(tc.in)) {
				t.Errorf("error at byte %d of %d", fe.Offset, len(tc.in))
			}
			// A lying length must not cost more than the input and
			// the read buffer.
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("Read allocated %d bytes for %d bytes of input", n, len(tc.in))
			}
		})
	}
}

func TestReadTruncated(t *testing.T) {
	data := writeDump(t)
	check := func(n int) {
		_, err := heapdump.Read(bytes.NewReader(data[:n]))
		var fe *heapdump.FormatError
		if !errors.As(err, &fe) || (n >= len(heapdump.Header) && !errors.Is(err, io.ErrUnexpectedEOF)) {
			t.Fatalf("Read of the first %d of %d bytes: %v, want an unexpected EOF", n, len(data), err)
		}
		if fe.Offset > int64(n) {
			t.Fatalf("Read of the first %d bytes: error at byte %d", n, fe.Offset)
		}
	}
	for n := range min(len(data), 2048) {
		check(n)
	}
	// Each cut near the end reads nearly the whole dump: fewer of them.
	for n := max(len(data)-32, 0); n < len(data); n++ {
		check(n)
	}
	readDump(t, data)
}

// smallDump cuts a real dump after its first records, adding an end
// record: the longest such dump of at most limit bytes.
func smallDump(tb testing.TB, data []byte, limit int) []byte {
	tb.Helper()
	for n := min(limit, len(data)) - 1; n > len(heapdump.Header); n-- {
		b := append(data[:n:n], 0)
		if _, err := heapdump.Read(bytes.NewReader(b)); err == nil {
			return b
		}
	}
	tb.Fatalf("no record boundary in the first %d bytes", limit)
	return nil
}

func TestSmallDump(t *testing.T) {
	b := smallDump(t, writeDump(t), 8<<10)
	d := readDump(t, b)
	if d.Params.PtrSize == 0 || len(d.Types) == 0 {
		t.Errorf("a cut dump of %d bytes has params %+v and %d types", len(b), d.Params, len(d.Types))
	}
}

func FuzzRead(f *testing.F) {
	data := writeDump(f)
	small := smallDump(f, data, 8<<10)
	f.Add(small)
	for _, n := range []int{0, 10, len(heapdump.Header), len(heapdump.Header) + 1, 40, 100, len(small) / 2, len(small) - 1} {
		f.Add(small[:n])
	}
	f.Add(params())
	f.Add(uv(params(), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := heapdump.Read(bytes.NewReader(b))
		if err != nil {
			var fe *heapdump.FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(b)) {
				t.Fatalf("error %v is not a FormatError within the input", err)
			}
			return
		}
		for i, o := range d.Objects {
			if i > 0 && d.Objects[i-1].Addr > o.Addr {
				t.Fatalf("objects out of order at %d", i)
			}
			for _, p := range d.Pointers(i) {
				if p.Offset+uint64(d.Params.PtrSize) > o.Size || p.Value < d.Params.HeapStart || p.Value >= d.Params.HeapEnd {
					t.Fatalf("object %+v has pointer %+v", o, p)
				}
			}
			if o.Size > 0 {
				if j, ok := d.Find(o.Addr + o.Size - 1); !ok || d.Objects[j].Addr > o.Addr+o.Size-1 {
					t.Fatalf("Find of the last byte of %+v = %d, %v", o, j, ok)
				}
			}
		}
	})
}

// sink holds the benchmark's heap while it is dumped.
var sink []*benchNode

type benchNode struct {
	left, right *benchNode
	_           [8]uint64
}

// BenchmarkRead reads a dump of a heap of about 100 MB of small objects
// with pointers (chains of 1024 objects, each pointing to the two before),
// the kind of heap that costs most per byte.
func BenchmarkRead(b *testing.B) {
	const nodes = 100 << 20 / int(unsafe.Sizeof(benchNode{}))
	const chain = 1024
	sink = make([]*benchNode, 0, nodes/chain+1)
	var prev, prev2 *benchNode
	for i := range nodes {
		if i%chain == 0 && prev != nil {
			sink = append(sink, prev)
			prev, prev2 = nil, nil
		}
		n := &benchNode{left: prev, right: prev2}
		prev, prev2 = n, prev
	}
	sink = append(sink, prev)
	runtime.GC()
	data := writeDump(b)
	sink = nil
	runtime.GC()

	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var d *heapdump.Dump
	for b.Loop() {
		var err error
		if d, err = heapdump.Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(d.Objects)), "objects")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/(float64(len(data))/100e6), "s/100MB")
}
