package heapdump

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
)

// Dump is the content of a heap dump that matters for following pointers.
// Addresses are those of the process that wrote the dump.
type Dump struct {
	// Params describes the process that wrote the dump.
	Params Params
	// Objects holds every allocated heap object, sorted by address.
	// Use [Dump.Find] to look an address up and [Dump.Pointers] for an
	// object's pointer words.
	Objects []Object
	// Segments holds the data and bss segments of the main program.
	Segments []Segment
	// Goroutines holds every goroutine that was not running or dead.
	Goroutines []Goroutine
	// Frames holds the stack frames of all goroutines, each goroutine's
	// frames together, innermost (depth 0) first.
	Frames []Frame
	// Defers and Panics hold the deferred calls and active panics of
	// all goroutines.
	Defers []Defer
	Panics []Panic
	// Finalizers holds the finalizers set on live objects,
	// QueuedFinalizers those whose object was found unreachable and
	// which wait to run.
	Finalizers       []Finalizer
	QueuedFinalizers []Finalizer
	// OtherRoots holds roots the runtime describes only in words. Go
	// 1.26 writes none, but older and future runtimes may.
	OtherRoots []OtherRoot
	// Types holds the types the dump describes: those of the itabs.
	Types []Type
	// Itabs maps the address of each itab the dump describes to the
	// address of its type (one of Types).
	Itabs map[uint64]uint64
	// MemStats holds the memory statistics read when the dump was
	// written. BySize, EnableGC and DebugGC are not in a dump.
	MemStats runtime.MemStats

	// words holds, sorted by address, every pointer word into the heap
	// that follows a non-nil pointer word outside it: what may be an
	// interface's data word and its itab or type word.
	words []typeWord
	ptrs  []Pointer // the pointer words of all objects, by object
	addrs []uint64  // Objects[i].Addr, dense for Find
	// typeAddrs indexes Types by address, built when first needed.
	typeAddrs map[uint64]bool
}

// Params describes the process that wrote a dump.
type Params struct {
	// BigEndian reports the byte order of the dumped memory.
	BigEndian bool
	// PtrSize is the size of a pointer in bytes, 4 or 8.
	PtrSize int
	// HeapStart and HeapEnd bound the heap arenas: every heap object
	// lies in [HeapStart, HeapEnd).
	HeapStart, HeapEnd uint64
	// Arch is the GOARCH of the process.
	Arch string
	// GoVersion is the version of the runtime, such as "go1.26.8". (The
	// format's first description called this field GOEXPERIMENT.)
	GoVersion string
	// NCPU is the number of CPUs the process saw when it started.
	NCPU int
}

// Object is one allocated heap object.
type Object struct {
	// Addr is the address of the object's allocation slot.
	Addr uint64
	// Size is the size of the slot, which may be larger than the value
	// allocated in it.
	Size uint64
	// First is the object's first word, in the dump's byte order, or 0
	// if the object is smaller than a word. It is the code pointer of a
	// closure, or the type header of a larger object with pointers.
	First uint64
	// HasPointers reports whether the object has pointer words at all,
	// nil ones included.
	HasPointers bool

	// end is where its pointer words end in Dump.ptrs; they start where
	// the previous object's end.
	end uint32
}

// Pointer is a word holding a pointer into the heap's address range.
type Pointer struct {
	// Offset is the byte offset of the word within its object, segment
	// or frame.
	Offset uint64
	// Value is the address the word holds.
	Value uint64
}

// Segment is the data or the bss segment of the program.
type Segment struct {
	// Name is "data" or "bss".
	Name string
	// Addr and Size give the segment's address range.
	Addr, Size uint64
	// Pointers lists the segment's pointer words that point into the
	// heap's address range.
	Pointers []Pointer
	// Static lists the segment's words that point into the data or bss
	// segment: a global pointing at a value the compiler allocated
	// statically (var c = &Cache{…}, or a constructor it inlined), which
	// is where the heap pointers of such a value are.
	Static []Pointer
}

// Goroutine is a goroutine that was runnable, waiting or in a system call.
type Goroutine struct {
	// ID is the goroutine's ID, as in panics and profiles.
	ID uint64
	// Addr is the address of the runtime's descriptor (g) of the
	// goroutine.
	Addr uint64
	// SP is the stack pointer the goroutine will resume at.
	SP uint64
	// GoPC is the address of the go statement that created it.
	GoPC uint64
	// Status is the runtime's status code: 1 runnable, 3 in a system
	// call, 4 waiting.
	Status uint64
	// System reports whether the runtime started the goroutine for its
	// own use.
	System bool
	// WaitSince is when the goroutine started waiting (nanoseconds,
	// runtime clock), 0 if unknown.
	WaitSince uint64
	// WaitReason says why the goroutine waits, such as "chan receive".
	WaitReason string
	// Ctxt is the closure context the goroutine will resume with, or 0.
	Ctxt uint64
}

// Frame is one stack frame of a goroutine.
type Frame struct {
	// Goroutine is the ID of the goroutine the frame belongs to.
	Goroutine uint64
	// Depth counts frames from the innermost, which is 0.
	Depth int
	// SP is the lowest address of the frame, Size its size in bytes.
	SP, Size uint64
	// Func is the name of the frame's function, such as "main.worker".
	Func string
	// Entry is the entry address of Func, PC the frame's program
	// counter.
	Entry, PC uint64
	// Pointers lists the frame's pointer words that point into the
	// heap's address range, with offsets from SP.
	Pointers []Pointer
	// Words lists every word of the frame that holds an address in the
	// heap's range, pointer or not, with offsets from SP: for a
	// conservative scan. The runtime writes a frame's pointer locals, but
	// not the pointers held by its stack objects (values the compiler
	// placed on the stack, such as a slice's array that does not escape),
	// so an object they keep alive is reached only through these.
	Words []Pointer
}

// Defer is a deferred call waiting to run.
type Defer struct {
	// Addr is the address of the runtime's record of the call,
	// Goroutine the address of its goroutine's descriptor.
	Addr, Goroutine uint64
	// SP and PC are those of the function that deferred the call.
	SP, PC uint64
	// Fn is the deferred function value (0 for open-coded defers), FnPC
	// its code address.
	Fn, FnPC uint64
}

// Panic is an active panic.
type Panic struct {
	// Addr is the address of the runtime's record of the panic,
	// Goroutine the address of its goroutine's descriptor.
	Addr, Goroutine uint64
	// ArgType and ArgData are the two words of the panic value.
	ArgType, ArgData uint64
}

// Finalizer is a finalizer set on an object, or queued to run.
type Finalizer struct {
	// Obj is the address the finalizer was set on.
	Obj uint64
	// Fn is the address of the finalizer's function value, FnPC the
	// address of its code.
	Fn, FnPC uint64
	// FinType is the address of the type of the finalizer's argument,
	// ObjType that of the object's pointer type.
	FinType, ObjType uint64
}

// OtherRoot is a root the runtime describes only in words.
type OtherRoot struct {
	// Description says what the root is.
	Description string
	// Ptr is the address it holds.
	Ptr uint64
}

// Type is a type described in a dump.
type Type struct {
	// Addr is the address of the type's descriptor.
	Addr uint64
	// Size is the size of a value of the type.
	Size uint64
	// Name is the type's name, with the full package path for named
	// types, such as "net/http.Header".
	Name string
	// Indirect is the runtime's flag saying that an interface holds a
	// value of the type through a pointer, or that the type has
	// pointers.
	Indirect bool
}

// Find returns the index in d.Objects of the object that contains addr,
// and whether there is one. An address inside an object, not only its
// first byte, finds it. Find is safe for concurrent use on a Dump that
// [Read] returned, as long as d.Objects is not changed. On a Dump built
// some other way, d.Objects must be sorted by address, and the first call
// builds an index, so it must not run concurrently with another.
func (d *Dump) Find(addr uint64) (int, bool) {
	// A hand-written binary search: this is the inner loop of every
	// walk over the heap.
	addrs := d.addrs
	if len(addrs) != len(d.Objects) { // a Dump not made by Read
		addrs = make([]uint64, len(d.Objects))
		for i, o := range d.Objects {
			addrs[i] = o.Addr
		}
		d.addrs = addrs
	}
	lo, hi := 0, len(addrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if addrs[m] <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i := lo - 1 // the last object starting at or below addr
	if i < 0 || addr-d.Objects[i].Addr >= d.Objects[i].Size {
		return -1, false
	}
	return i, true
}

// Pointers returns the words of object i (an index in d.Objects) that
// point into the heap's address range. The slice is shared; do not modify
// it.
func (d *Dump) Pointers(i int) []Pointer {
	lo := uint32(0)
	if i > 0 {
		lo = d.Objects[i-1].end
	}
	hi := d.Objects[i].end
	return d.ptrs[lo:hi:hi]
}

// InterfaceType says, for a pointer word at addr (in an object, a segment
// or a stack frame), whether it is the data word of an interface value,
// and of which dynamic type: the address of the type's descriptor, to be
// found in Types. It is known where the word before the pointer is an
// itab or a type that the dump describes (the types of the itabs). The
// dynamic type of a value in an interface that no itab names, such as an
// any, is the [Dump.TypeWord] of its data word, which the program's
// executable can tell apart from other words.
func (d *Dump) InterfaceType(addr uint64) (typ uint64, ok bool) {
	w, ok := d.TypeWord(addr)
	if !ok {
		return 0, false
	}
	if typ, ok := d.Itabs[w]; ok {
		return typ, true
	}
	if d.typeAddrs == nil {
		d.typeAddrs = make(map[uint64]bool, len(d.Types))
		for _, t := range d.Types {
			d.typeAddrs[t.Addr] = true
		}
	}
	return w, d.typeAddrs[w]
}

// TypeWord returns, for a pointer word at addr (in an object, a segment or
// a stack frame) that holds a heap address, the word before it if that may
// be the itab or the type word of an interface value, whose data word the
// pointer is: an aligned address outside the heap, above the first 64 KiB
// and below the data and bss segments (the runtime's type descriptors and
// itabs are read-only data, which comes before them). Any other value that
// happens to lie there, such as a function's address, is returned too;
// only the program's executable can tell a type descriptor from it.
func (d *Dump) TypeWord(addr uint64) (uint64, bool) {
	i, found := slices.BinarySearchFunc(d.words, addr, func(w typeWord, addr uint64) int { return cmp.Compare(w.addr, addr) })
	if !found {
		return 0, false
	}
	return d.words[i].word, true
}

// NewDump assembles a Dump from objects, sorted by address and not
// overlapping, and the pointer words of each (pointers[i] for objects[i],
// offsets within the object): for tests, and for tools that analyse a heap
// they learnt about some other way. Add the roots (Segments, Frames, …) to
// the returned Dump's fields afterwards.
func NewDump(params Params, objects []Object, pointers [][]Pointer) (*Dump, error) {
	if len(pointers) > len(objects) {
		return nil, fmt.Errorf("heapdump: %d pointer lists for %d objects", len(pointers), len(objects))
	}
	d := &Dump{Params: params, Objects: slices.Clone(objects), addrs: make([]uint64, len(objects))}
	for i := range d.Objects {
		o := &d.Objects[i]
		if i > 0 && o.Addr < d.Objects[i-1].Addr+d.Objects[i-1].Size {
			return nil, fmt.Errorf("heapdump: object %d at %#x overlaps or precedes the one before it", i, o.Addr)
		}
		d.addrs[i] = o.Addr
		if i < len(pointers) {
			for _, p := range pointers[i] {
				if p.Offset >= o.Size {
					return nil, fmt.Errorf("heapdump: object %d: pointer at offset %d outside its %d bytes", i, p.Offset, o.Size)
				}
				d.ptrs = append(d.ptrs, p)
			}
			o.HasPointers = o.HasPointers || len(pointers[i]) > 0
		}
		if len(d.ptrs) > math.MaxUint32 {
			return nil, fmt.Errorf("heapdump: more than 2³² pointers")
		}
		o.end = uint32(len(d.ptrs))
	}
	return d, nil
}
