package heapdump

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Header is the line every heap dump starts with.
const Header = "go1.7 heap dump\n"

// Record tags, in the order of the runtime's list.
const (
	tagEOF = iota
	tagObject
	tagOtherRoot
	tagType
	tagGoroutine
	tagStackFrame
	tagParams
	tagFinalizer
	tagItab
	tagOSThread
	tagMemStats
	tagQueuedFinalizer
	tagData
	tagBSS
	tagDefer
	tagPanic
	tagMemProf
	tagAllocSample
)

var tagNames = [...]string{
	tagEOF:             "end",
	tagObject:          "object",
	tagOtherRoot:       "other root",
	tagType:            "type",
	tagGoroutine:       "goroutine",
	tagStackFrame:      "stack frame",
	tagParams:          "params",
	tagFinalizer:       "finalizer",
	tagItab:            "itab",
	tagOSThread:        "OS thread",
	tagMemStats:        "memstats",
	tagQueuedFinalizer: "queued finalizer",
	tagData:            "data segment",
	tagBSS:             "bss segment",
	tagDefer:           "defer",
	tagPanic:           "panic",
	tagMemProf:         "memprof bucket",
	tagAllocSample:     "alloc sample",
}

// Field kinds in the pointer lists that follow blocks of memory.
const (
	fieldEnd = 0
	fieldPtr = 1
)

// FormatError is the error [Read] returns for input that is not a well
// formed heap dump.
type FormatError struct {
	// Offset is the byte offset of the record (or the header) the error
	// is in; Record names its kind, such as "object" or "header".
	Offset int64
	Record string
	// Err says what is wrong. It is [io.ErrUnexpectedEOF] when the input
	// ends early, and the reader's own error when reading failed.
	Err error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("heapdump: %s record at byte %d: %v", e.Record, e.Offset, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Read reads a heap dump written by [runtime/debug.WriteHeapDump]. It reads
// r to the end record and no further.
//
// Read never trusts a length in the input: memory grows only as the bytes
// it describes arrive, so a corrupt length ends in an error, not in a huge
// allocation. Every error is a [*FormatError] naming the record and its
// byte offset; it wraps the error of r when reading failed.
func Read(r io.Reader) (*Dump, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		size := 64 << 10
		if l, ok := r.(interface{ Len() int }); ok {
			size = min(size, l.Len()) // bufio rounds it up to 16
		}
		br = bufio.NewReaderSize(r, size)
	}
	p := &parser{r: br, d: &Dump{}}
	return p.run()
}

type parser struct {
	r   *bufio.Reader
	off int64 // bytes consumed
	err error // the first error; once set, every read returns zero values

	d         *Dump
	seenParam bool
	ptrSize   int
	order     binary.ByteOrder
	heapLo    uint64
	heapHi    uint64
	sorted    bool // d.Objects is still sorted by address
	goroutine uint64
	inG       bool   // a goroutine record came before, so frames have an owner
	buf       []byte // scratch for blocks of memory
	strBuf    []byte // scratch for strings
	base      uint64 // the address of the memory whose fields are read
	typeAddrs map[uint64]bool
}

func (p *parser) run() (*Dump, error) {
	rec := &FormatError{Record: "header"}
	hdr := p.bytesN(&p.buf, uint64(len(Header)))
	if p.err == nil && string(hdr) != Header {
		p.err = fmt.Errorf("not a heap dump: starts with %q", hdr)
	}
	p.sorted = true
	for p.err == nil {
		rec.Offset = p.off
		tag := p.uvarint()
		if p.err != nil {
			rec.Record = "next"
			break
		}
		if tag >= uint64(len(tagNames)) {
			rec.Record = "unknown"
			p.err = fmt.Errorf("unknown tag %d", tag)
			break
		}
		rec.Record = tagNames[tag]
		if tag == tagEOF {
			if p.err = p.finish(); p.err != nil {
				break
			}
			return p.d, nil
		}
		if tag != tagParams && !p.seenParam {
			p.err = errors.New("record before the params record")
			break
		}
		p.record(tag)
	}
	rec.Err = p.err
	return nil, rec
}

func (p *parser) record(tag uint64) {
	d := p.d
	switch tag {
	case tagParams:
		p.params()
	case tagObject:
		p.object()
	case tagOtherRoot:
		desc := p.str()
		d.OtherRoots = append(d.OtherRoots, OtherRoot{Description: desc, Ptr: p.uvarint()})
	case tagType:
		t := Type{Addr: p.uvarint(), Size: p.uvarint(), Name: p.str()}
		t.Indirect = p.bool()
		d.Types = append(d.Types, t)
	case tagItab:
		itab := p.uvarint()
		typ := p.uvarint() // its type, described by a type record before
		if d.Itabs == nil {
			d.Itabs = map[uint64]uint64{}
		}
		d.Itabs[itab] = typ
	case tagGoroutine:
		p.goroutineRecord()
	case tagStackFrame:
		p.frame()
	case tagFinalizer, tagQueuedFinalizer:
		f := Finalizer{Obj: p.uvarint(), Fn: p.uvarint(), FnPC: p.uvarint(), FinType: p.uvarint(), ObjType: p.uvarint()}
		if tag == tagFinalizer {
			d.Finalizers = append(d.Finalizers, f)
		} else {
			d.QueuedFinalizers = append(d.QueuedFinalizers, f)
		}
	case tagOSThread:
		p.uvarint() // m address
		p.uvarint() // m id
		p.uvarint() // OS thread id
	case tagMemStats:
		p.memStats()
	case tagData, tagBSS:
		s := Segment{Name: "data", Addr: p.uvarint()}
		if tag == tagBSS {
			s.Name = "bss"
		}
		mem := p.mem()
		p.base = s.Addr
		s.Size = uint64(len(mem))
		s.Static = p.outsideHeap(mem)
		s.Pointers = p.fields(mem, nil)
		d.Segments = append(d.Segments, s)
	case tagDefer:
		x := Defer{Addr: p.uvarint(), Goroutine: p.uvarint(), SP: p.uvarint(), PC: p.uvarint(), Fn: p.uvarint(), FnPC: p.uvarint()}
		p.uvarint() // next defer
		d.Defers = append(d.Defers, x)
	case tagPanic:
		x := Panic{Addr: p.uvarint(), Goroutine: p.uvarint(), ArgType: p.uvarint(), ArgData: p.uvarint()}
		p.uvarint() // formerly the panic's defer, now always 0
		p.uvarint() // next panic
		d.Panics = append(d.Panics, x)
	case tagMemProf:
		p.uvarint() // bucket address
		p.uvarint() // allocation size
		for n := p.uvarint(); n > 0 && p.err == nil; n-- {
			p.skip() // function name
			p.skip() // file name
			p.uvarint()
		}
		p.uvarint() // allocations
		p.uvarint() // frees
	case tagAllocSample:
		p.uvarint() // object address
		p.uvarint() // bucket address
	}
}

func (p *parser) params() {
	big := p.bool()
	size := p.uvarint()
	lo, hi := p.uvarint(), p.uvarint()
	arch := p.str()
	version := p.str()
	ncpu := p.uvarint()
	if p.err != nil {
		return
	}
	if p.seenParam {
		p.err = errors.New("second params record")
		return
	}
	if size != 4 && size != 8 {
		p.err = fmt.Errorf("pointer size %d, want 4 or 8", size)
		return
	}
	p.seenParam = true
	p.ptrSize = int(size)
	p.order = binary.LittleEndian
	if big {
		p.order = binary.BigEndian
	}
	p.heapLo, p.heapHi = lo, hi
	p.d.Params = Params{
		BigEndian: big, PtrSize: int(size), HeapStart: lo, HeapEnd: hi,
		Arch: arch, GoVersion: version, NCPU: int(min(ncpu, math.MaxInt32)),
	}
}

func (p *parser) object() {
	d := p.d
	addr := p.uvarint()
	mem := p.mem()
	p.base = addr
	lo := len(d.ptrs)
	var hasPtr bool
	d.ptrs, hasPtr = p.objectFields(mem, d.ptrs)
	if p.err != nil {
		return
	}
	if len(d.ptrs) > math.MaxUint32 {
		p.err = errors.New("more than 2³² pointers")
		return
	}
	o := Object{Addr: addr, Size: uint64(len(mem)), HasPointers: hasPtr, lo: uint32(lo), hi: uint32(len(d.ptrs))}
	if len(mem) >= p.ptrSize {
		o.First = p.word(mem)
	}
	if n := len(d.Objects); n > 0 && d.Objects[n-1].Addr > addr {
		p.sorted = false
	}
	d.Objects = appendDoubling(d.Objects, o)
}

// appendDoubling is append that doubles a full slice's capacity however
// large it is: append grows large slices by a quarter at a time, and for
// the millions of objects and pointers of a large dump the copying that
// costs was most of the reader's time.
func appendDoubling[T any](s []T, x T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(cap(s), 1024))
	}
	return append(s, x)
}

func (p *parser) goroutineRecord() {
	var g Goroutine
	g.Addr = p.uvarint()
	g.SP = p.uvarint()
	g.ID = p.uvarint()
	g.GoPC = p.uvarint()
	g.Status = p.uvarint()
	g.System = p.bool()
	p.bool() // "background", always false
	g.WaitSince = p.uvarint()
	g.WaitReason = p.str()
	g.Ctxt = p.uvarint()
	p.uvarint() // m
	p.uvarint() // first defer, also in the defer records
	p.uvarint() // first panic, also in the panic records
	p.d.Goroutines = append(p.d.Goroutines, g)
	p.goroutine, p.inG = g.ID, true
}

func (p *parser) frame() {
	f := Frame{Goroutine: p.goroutine, SP: p.uvarint()}
	depth := p.uvarint()
	p.uvarint() // child's SP
	mem := p.mem()
	f.Size = uint64(len(mem))
	f.Entry = p.uvarint()
	f.PC = p.uvarint()
	p.uvarint() // continuation PC
	f.Func = p.str()
	f.Words = p.heapWords(mem)
	p.base = f.SP
	f.Pointers = p.fields(mem, nil)
	if p.err != nil {
		return
	}
	if !p.inG {
		p.err = errors.New("stack frame before any goroutine")
		return
	}
	f.Depth = int(min(depth, math.MaxInt32))
	p.d.Frames = append(p.d.Frames, f)
}

func (p *parser) memStats() {
	m := &p.d.MemStats
	for _, v := range []*uint64{
		&m.Alloc, &m.TotalAlloc, &m.Sys, &m.Lookups, &m.Mallocs, &m.Frees,
		&m.HeapAlloc, &m.HeapSys, &m.HeapIdle, &m.HeapInuse, &m.HeapReleased, &m.HeapObjects,
		&m.StackInuse, &m.StackSys, &m.MSpanInuse, &m.MSpanSys, &m.MCacheInuse, &m.MCacheSys,
		&m.BuckHashSys, &m.GCSys, &m.OtherSys, &m.NextGC, &m.LastGC, &m.PauseTotalNs,
	} {
		*v = p.uvarint()
	}
	for i := range m.PauseNs {
		m.PauseNs[i] = p.uvarint()
	}
	m.NumGC = uint32(min(p.uvarint(), math.MaxUint32))
}

// finish sorts the objects by address, checks that no two overlap, and
// indexes their addresses.
func (p *parser) finish() error {
	d := p.d
	// Of the segments' words outside the heap, keep those that point
	// into a segment (the segments are all known only now).
	for i := range d.Segments {
		s := &d.Segments[i]
		kept := s.Static[:0]
		for _, w := range s.Static {
			for _, t := range d.Segments {
				if w.Value-t.Addr < t.Size {
					kept = append(kept, w)
					break
				}
			}
		}
		s.Static = slices.Clip(kept)
	}
	if !p.sorted {
		d.Objects = sortObjects(d.Objects)
	}
	d.addrs = make([]uint64, len(d.Objects))
	for i, o := range d.Objects {
		if o.Addr+o.Size < o.Addr {
			return fmt.Errorf("object at %#x of %d bytes wraps around the address space", o.Addr, o.Size)
		}
		if i > 0 {
			if prev := d.Objects[i-1]; prev.Addr+prev.Size > o.Addr {
				return fmt.Errorf("objects at %#x (%d bytes) and %#x overlap", prev.Addr, prev.Size, o.Addr)
			}
		}
		d.addrs[i] = o.Addr
	}
	return nil
}

// sortObjects sorts objects by address. The runtime writes them span by
// span, so they come in runs of adjacent slots: sorting the runs, which
// cannot overlap, is much cheaper than sorting the objects.
func sortObjects(objs []Object) []Object {
	type run struct{ start, end int } // objs[start:end]
	var runs []run
	for i := range objs {
		if i == 0 || objs[i-1].Addr+objs[i-1].Size != objs[i].Addr {
			runs = append(runs, run{start: i})
		}
		runs[len(runs)-1].end = i + 1
	}
	slices.SortFunc(runs, func(a, b run) int { return cmp.Compare(objs[a.start].Addr, objs[b.start].Addr) })
	sorted := make([]Object, 0, len(objs))
	for _, r := range runs {
		sorted = append(sorted, objs[r.start:r.end]...)
	}
	// Only a malformed dump has objects that overlap.
	if !slices.IsSortedFunc(sorted, func(a, b Object) int { return cmp.Compare(a.Addr, b.Addr) }) {
		slices.SortFunc(sorted, func(a, b Object) int { return cmp.Compare(a.Addr, b.Addr) })
	}
	return sorted
}

// noteInterface records, when the word before a pointer at offset off of
// the memory being read is an itab or a type the dump describes, that the
// pointer is an interface's data word, of that dynamic type. p.base is the
// address of the memory being read.
func (p *parser) noteInterface(prev, off uint64) {
	d := p.d
	if p.typeAddrs == nil {
		p.typeAddrs = make(map[uint64]bool, len(d.Types))
		for _, t := range d.Types {
			p.typeAddrs[t.Addr] = true
		}
	}
	typ, ok := d.Itabs[prev]
	if !ok && p.typeAddrs[prev] {
		typ, ok = prev, true
	}
	if !ok {
		return
	}
	if d.ifaces == nil {
		d.ifaces = map[uint64]uint64{}
	}
	d.ifaces[p.base+off] = typ
}

// objectFields reads the pointer list that follows mem, appending the
// words that point into the heap to dst, and reports whether the list had
// any entries.
func (p *parser) objectFields(mem []byte, dst []Pointer) ([]Pointer, bool) {
	n := len(dst)
	hasPtr := false
	for p.err == nil {
		kind := p.uvarint()
		if kind == fieldEnd {
			break
		}
		off := p.uvarint()
		if p.err != nil {
			break
		}
		if kind != fieldPtr {
			p.err = fmt.Errorf("field kind %d, want %d (pointer)", kind, fieldPtr)
			break
		}
		if off > uint64(len(mem)) || uint64(len(mem))-off < uint64(p.ptrSize) {
			p.err = fmt.Errorf("pointer at offset %d outside %d bytes", off, len(mem))
			break
		}
		hasPtr = true
		if v := p.word(mem[off:]); v >= p.heapLo && v < p.heapHi && v != 0 {
			dst = appendDoubling(dst, Pointer{Offset: off, Value: v})
			if off >= uint64(p.ptrSize) {
				p.noteInterface(p.word(mem[off-uint64(p.ptrSize):]), off)
			}
		}
	}
	if p.err != nil {
		dst = dst[:n]
	}
	return dst, hasPtr
}

// outsideHeap lists the aligned, non-zero words of mem outside the heap's
// range, for finish to keep those that point into a segment.
func (p *parser) outsideHeap(mem []byte) []Pointer {
	var out []Pointer
	for off := 0; off+p.ptrSize <= len(mem); off += p.ptrSize {
		if v := p.word(mem[off:]); v != 0 && (v < p.heapLo || v >= p.heapHi) {
			out = append(out, Pointer{Offset: uint64(off), Value: v})
		}
	}
	return out
}

// heapWords lists the aligned words of mem that hold an address in the
// heap's range.
func (p *parser) heapWords(mem []byte) []Pointer {
	var out []Pointer
	for off := 0; off+p.ptrSize <= len(mem); off += p.ptrSize {
		if v := p.word(mem[off:]); v >= p.heapLo && v < p.heapHi && v != 0 {
			out = append(out, Pointer{Offset: uint64(off), Value: v})
		}
	}
	return out
}

func (p *parser) fields(mem []byte, dst []Pointer) []Pointer {
	dst, _ = p.objectFields(mem, dst)
	return dst
}

func (p *parser) word(b []byte) uint64 {
	if p.ptrSize == 4 {
		return uint64(p.order.Uint32(b))
	}
	return p.order.Uint64(b)
}

func (p *parser) fail(err error) {
	if p.err != nil {
		return
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	p.err = err
}

func (p *parser) uvarint() uint64 {
	if p.err != nil {
		return 0
	}
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b, err := p.r.ReadByte()
		if err != nil {
			p.fail(err)
			return 0
		}
		p.off++
		if b < 0x80 {
			if shift == 63 && b > 1 {
				break
			}
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
	}
	p.err = errors.New("varint overflows 64 bits")
	return 0
}

func (p *parser) bool() bool {
	switch v := p.uvarint(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		if p.err == nil {
			p.err = fmt.Errorf("boolean %d, want 0 or 1", v)
		}
		return false
	}
}

// mem reads a length-prefixed block into p's buffer, valid until the next
// call of mem. A frame's name comes between its contents and their
// pointer list, so strings have a buffer of their own.
func (p *parser) mem() []byte {
	return p.bytesN(&p.buf, p.uvarint())
}

func (p *parser) str() string {
	return string(p.bytesN(&p.strBuf, p.uvarint()))
}

// chunk is how much the buffer grows by at least: lengths are trusted
// only as far as bytes arrive to back them.
const chunk = 64 << 10

// bytesN reads n bytes into *buf, growing it as the bytes arrive.
func (p *parser) bytesN(buf *[]byte, n uint64) []byte {
	if p.err != nil {
		return nil
	}
	if n <= uint64(cap(*buf)) {
		b := (*buf)[:n]
		p.read(b)
		return b
	}
	b := (*buf)[:0]
	for n > 0 && p.err == nil {
		step := int(min(n, uint64(max(len(b), chunk))))
		b = slices.Grow(b, step)
		p.read(b[len(b) : len(b)+step])
		b = b[:len(b)+step]
		n -= uint64(step)
	}
	*buf = b[:0]
	return b
}

func (p *parser) read(b []byte) {
	if p.err != nil {
		return
	}
	n, err := io.ReadFull(p.r, b)
	p.off += int64(n)
	if err != nil {
		p.fail(err)
	}
}

// skip discards a length-prefixed block.
func (p *parser) skip() {
	n := p.uvarint()
	for n > 0 && p.err == nil {
		step := int(min(n, chunk))
		m, err := p.r.Discard(step)
		p.off += int64(m)
		n -= uint64(m)
		if err != nil {
			p.fail(err)
		}
	}
}
