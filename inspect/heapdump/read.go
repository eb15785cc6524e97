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
		size := 256 << 10
		if l, ok := r.(interface{ Len() int }); ok {
			size = min(size, l.Len()) // bufio rounds it up to 16
		}
		br = bufio.NewReaderSize(r, size)
	}
	p := &parser{r: br, d: &Dump{}}
	return p.run()
}

type parser struct {
	r *bufio.Reader
	// win holds bytes peeked from r and not yet discarded; pos is the
	// next unread one. Reading from a window, rather than a byte at a
	// time from r, is most of the reader's speed.
	win []byte
	pos int
	off int64 // bytes consumed before win
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
	little8   bool   // little-endian 8-byte words: word's fast path

	// The objects and their pointer words as they are read, in chunks
	// (no copying as they grow); finish copies them, sorted, into slices
	// of their exact size. A read object's end holds the index of its
	// first pointer until then.
	objs  chunked[Object]
	ptrs  chunked[Pointer]
	words []typeWord // see noteInterface
}

func (p *parser) run() (*Dump, error) {
	rec := &FormatError{Record: "header"}
	hdr := p.bytesN(&p.buf, uint64(len(Header)))
	if p.err == nil && string(hdr) != Header {
		p.err = fmt.Errorf("not a heap dump: starts with %q", hdr)
	}
	p.sorted = true
	for p.err == nil {
		rec.Offset = p.offset()
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
		s.Pointers = p.fields(mem)
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
	p.little8 = !big && size == 8
	p.d.Params = Params{
		BigEndian: big, PtrSize: int(size), HeapStart: lo, HeapEnd: hi,
		Arch: arch, GoVersion: version, NCPU: int(min(ncpu, math.MaxInt32)),
	}
}

func (p *parser) object() {
	addr := p.uvarint()
	mem, inWindow := p.memInWindow()
	p.base = addr
	lo := p.ptrs.n
	hasPtr := p.objectFields(mem, inWindow, &p.ptrs)
	if p.err != nil {
		return
	}
	if p.ptrs.n > math.MaxUint32 {
		p.err = errors.New("more than 2³² pointers")
		return
	}
	o := Object{Addr: addr, Size: uint64(len(mem)), HasPointers: hasPtr, end: uint32(lo)}
	if len(mem) >= p.ptrSize {
		o.First = p.word(mem)
	}
	if n := p.objs.n; n > 0 && p.objs.at(n-1).Addr > addr {
		p.sorted = false
	}
	p.objs.add(o)
}

// chunked is a sequence that grows by chunks of a fixed size, so that
// adding to it never copies what it holds.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const chunkBits = 14

func (c *chunked[T]) add(x T) {
	if c.n>>chunkBits == len(c.chunks) {
		c.chunks = append(c.chunks, make([]T, 0, 1<<chunkBits))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, x)
	c.n++
}

func (c *chunked[T]) at(i int) *T { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// truncate drops the elements from n on.
func (c *chunked[T]) truncate(n int) {
	for c.n > n {
		last := &c.chunks[len(c.chunks)-1]
		k := min(len(*last), c.n-n)
		*last = (*last)[:len(*last)-k]
		c.n -= k
		if len(*last) == 0 {
			c.chunks = c.chunks[:len(c.chunks)-1]
		}
	}
}

// appendRange appends the elements [from, to) to dst.
func (c *chunked[T]) appendRange(dst []T, from, to int) []T {
	for from < to {
		ch := c.chunks[from>>chunkBits]
		k := from & (1<<chunkBits - 1)
		n := min(len(ch)-k, to-from)
		dst = append(dst, ch[k:k+n]...)
		from += n
	}
	return dst
}

// all returns the elements in one slice of their exact length.
func (c *chunked[T]) all() []T {
	out := make([]T, 0, c.n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
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
	f.Pointers = p.fields(mem)
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
	p.sortObjects()
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
	// Type descriptors and itabs are read-only data, which comes before
	// the data and bss segments.
	if len(d.Segments) > 0 {
		lowest := d.Segments[0].Addr
		for _, s := range d.Segments {
			lowest = min(lowest, s.Addr)
		}
		kept := p.words[:0]
		for _, w := range p.words {
			if w.word < lowest {
				kept = append(kept, w)
			}
		}
		p.words = kept
	}
	d.words = slices.Clip(p.words)
	if !slices.IsSortedFunc(d.words, cmpTypeWord) {
		slices.SortFunc(d.words, cmpTypeWord)
	}
	return nil
}

// sortObjects moves the objects read, sorted by address, and their
// pointer words, in the same order, into d.Objects and d.ptrs. The runtime
// writes objects span by span, so they come in runs of adjacent slots:
// sorting the runs, which cannot overlap, is much cheaper than sorting the
// objects. (Runs that overlap make objects that overlap, which finish
// refuses.)
func (p *parser) sortObjects() {
	d, objs, ptrs := p.d, &p.objs, &p.ptrs
	defer func() { *objs, *ptrs = chunked[Object]{}, chunked[Pointer]{} }()
	if p.sorted {
		d.Objects = objs.all()
		d.ptrs = ptrs.all()
		for i := range d.Objects {
			// end held the index of the object's first pointer.
			if i+1 < len(d.Objects) {
				d.Objects[i].end = d.Objects[i+1].end
			} else {
				d.Objects[i].end = uint32(ptrs.n)
			}
		}
		return
	}
	type run struct{ start, end int } // objects [start, end) in read order
	var runs []run
	next := uint64(0) // where the object before ends
	for c, ch := range objs.chunks {
		for k := range ch {
			o := &ch[k]
			if i := c<<chunkBits + k; i == 0 || o.Addr != next {
				runs = append(runs, run{start: i, end: i})
			}
			runs[len(runs)-1].end++
			next = o.Addr + o.Size
		}
	}
	slices.SortStableFunc(runs, func(a, b run) int { return cmp.Compare(objs.at(a.start).Addr, objs.at(b.start).Addr) })
	// firstPtr is the index, in read order, of object i's first pointer.
	firstPtr := func(i int) int {
		if i == objs.n {
			return ptrs.n
		}
		return int(objs.at(i).end)
	}
	d.Objects = make([]Object, 0, objs.n)
	d.ptrs = make([]Pointer, 0, ptrs.n)
	for _, r := range runs {
		lo := firstPtr(r.start)
		base := len(d.ptrs)
		d.ptrs = ptrs.appendRange(d.ptrs, lo, firstPtr(r.end))
		from := len(d.Objects)
		d.Objects = objs.appendRange(d.Objects, r.start, r.end)
		added := d.Objects[from:]
		for k := range added {
			added[k].end = uint32(base + firstPtr(r.start+k+1) - lo)
		}
	}
	// Runs that overlap leave objects out of order; finish refuses them,
	// after sorting so that it names two that overlap.
	if !slices.IsSortedFunc(d.Objects, func(a, b Object) int { return cmp.Compare(a.Addr, b.Addr) }) {
		slices.SortStableFunc(d.Objects, func(a, b Object) int { return cmp.Compare(a.Addr, b.Addr) })
	}
}

// typeWord is a pointer word outside the heap (an itab or a type, for an
// interface) just before a pointer into the heap at addr.
type typeWord struct{ addr, word uint64 }

func cmpTypeWord(a, b typeWord) int { return cmp.Compare(a.addr, b.addr) }

// noteInterface records, when prev, the word before a heap pointer at
// offset off of the memory being read (at p.base), may be the itab or
// type word of an interface whose data word the pointer is: an aligned
// address outside the heap and above the first 64 KiB (below which lie
// small integers, not a program's data). finish keeps those below the data
// and bss segments, where the read-only data is (see [Dump.TypeWord]).
func (p *parser) noteInterface(prev, off uint64) {
	if prev < 64<<10 || prev >= p.heapLo && prev < p.heapHi || prev%uint64(p.ptrSize) != 0 {
		return
	}
	p.words = append(p.words, typeWord{addr: p.base + off, word: prev})
}

// pointerSink is where objectFields puts the pointer words it reads.
type pointerSink interface {
	add(Pointer)
	truncate(n int)
}

// pointerSlice collects a segment's or a frame's pointer words.
type pointerSlice []Pointer

func (s *pointerSlice) add(p Pointer)  { *s = append(*s, p) }
func (s *pointerSlice) truncate(n int) { *s = (*s)[:n] }

// objectFields reads the pointer list that follows mem, adding the words
// that point into the heap to dst, and reports whether the list had any
// entries.
//
// mem may be in the window (inWindow): it is copied out before the window
// moves.
func (p *parser) objectFields(mem []byte, inWindow bool, dst interface {
	pointerSink
	len() int
}) bool {
	n := dst.len()
	hasPtr := false
	for p.err == nil {
		if inWindow && len(p.win)-p.pos < 2*binary.MaxVarintLen64 {
			// The next two varints may move the window.
			mem = append(p.buf[:0], mem...)
			p.buf = mem[:0]
			inWindow = false
		}
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
			dst.add(Pointer{Offset: off, Value: v})
			if off >= uint64(p.ptrSize) {
				p.noteInterface(p.word(mem[off-uint64(p.ptrSize):]), off)
			}
		}
	}
	if p.err != nil {
		dst.truncate(n)
	}
	return hasPtr
}

func (c *chunked[T]) len() int   { return c.n }
func (s *pointerSlice) len() int { return len(*s) }

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

func (p *parser) fields(mem []byte) []Pointer {
	var dst pointerSlice
	p.objectFields(mem, false, &dst)
	return slices.Clip([]Pointer(dst))
}

func (p *parser) word(b []byte) uint64 {
	if p.little8 {
		return binary.LittleEndian.Uint64(b)
	}
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

// offset is the number of bytes consumed.
func (p *parser) offset() int64 { return p.off + int64(p.pos) }

// refill discards the window's consumed bytes and peeks at least n more
// (n at most the buffer's size), or as many as there are before the end of
// the input. It reports whether n bytes are there.
func (p *parser) refill(n int) bool {
	if p.err != nil {
		return false
	}
	if _, err := p.r.Discard(p.pos); err != nil {
		p.fail(err)
		return false
	}
	p.off += int64(p.pos)
	p.win, p.pos = nil, 0
	want := min(max(n, p.r.Buffered()), p.r.Size())
	b, err := p.r.Peek(want)
	p.win = b
	if len(b) >= n {
		return true
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	p.fail(err)
	return false
}

func (p *parser) uvarint() uint64 {
	if p.err != nil {
		return 0
	}
	x, n := binary.Uvarint(p.win[p.pos:])
	if n > 0 {
		p.pos += n
		return x
	}
	if n == 0 { // the window ends within the varint
		if len(p.win)-p.pos >= binary.MaxVarintLen64 {
			n = -1
		} else {
			// Up to a varint's length, or to the end of the input.
			p.refill(binary.MaxVarintLen64)
			if p.err == io.ErrUnexpectedEOF {
				p.err = nil
			}
			if x, n = binary.Uvarint(p.win[p.pos:]); n > 0 {
				p.pos += n
				return x
			}
			if n == 0 {
				p.pos = len(p.win)
				p.fail(io.ErrUnexpectedEOF)
				return 0
			}
		}
	}
	// Overflow: the error is at the varint's first byte.
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

// memInWindow reads a length-prefixed block and returns it, in the window
// (valid until the window moves) when it is there whole, else in p.buf.
func (p *parser) memInWindow() ([]byte, bool) {
	n := p.uvarint()
	if p.err == nil && n <= uint64(len(p.win)-p.pos) {
		b := p.win[p.pos : p.pos+int(n) : p.pos+int(n)]
		p.pos += int(n)
		return b, true
	}
	return p.bytesN(&p.buf, n), false
}

func (p *parser) str() string {
	return string(p.bytesN(&p.strBuf, p.uvarint()))
}

// bytesN reads n bytes into *buf, growing it as the bytes arrive.
func (p *parser) bytesN(buf *[]byte, n uint64) []byte {
	if p.err != nil {
		return nil
	}
	if avail := uint64(len(p.win) - p.pos); n <= avail {
		b := append((*buf)[:0], p.win[p.pos:p.pos+int(n)]...)
		p.pos += int(n)
		*buf = b[:0]
		return b
	}
	b := (*buf)[:0]
	if n > uint64(cap(b)) {
		b = nil // grown below as the bytes arrive
	}
	for n > 0 && p.err == nil {
		if p.pos == len(p.win) && !p.refill(1) {
			break
		}
		k := int(min(n, uint64(len(p.win)-p.pos)))
		if len(b)+k > cap(b) {
			b = slices.Grow(b, max(k, min(int(min(n, math.MaxInt32)), max(len(b), chunk))))
		}
		b = append(b, p.win[p.pos:p.pos+k]...)
		p.pos += k
		n -= uint64(k)
	}
	if p.err != nil {
		return nil
	}
	*buf = b[:0]
	return b
}

// skip discards a length-prefixed block.
func (p *parser) skip() {
	n := p.uvarint()
	for n > 0 && p.err == nil {
		if p.pos == len(p.win) && !p.refill(1) {
			return
		}
		k := int(min(n, uint64(len(p.win)-p.pos)))
		p.pos += k
		n -= uint64(k)
	}
}

// chunk is how much a buffer grows by at least: lengths are trusted only
// as far as bytes arrive to back them.
const chunk = 64 << 10
