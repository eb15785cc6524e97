package heapdump

import "iter"

// RootKind says which of a dump's roots holds a pointer.
type RootKind uint8

// The roots of a dump, in the order Roots yields them.
const (
	// RootSegment is a word of a data or bss segment: a global variable.
	// Index is into Dump.Segments.
	RootSegment RootKind = iota
	// RootFrame is a word of a stack frame. Index is into Dump.Frames.
	RootFrame
	// RootFinalizerObject is a pointer inside an object with a finalizer
	// set: the finalizer keeps what its object points to, not the object.
	// Index is into Dump.Finalizers.
	RootFinalizerObject
	// RootFinalizerFunc is a finalizer's function value. Index is into
	// Dump.Finalizers.
	RootFinalizerFunc
	// RootQueuedObject is the object of a finalizer queued to run, and
	// RootQueuedFunc its function. Index is into Dump.QueuedFinalizers.
	RootQueuedObject
	RootQueuedFunc
	// RootGoroutineContext is a goroutine's closure context. Index is
	// into Dump.Goroutines.
	RootGoroutineContext
	// RootDefer is a deferred call's function value. Index is into
	// Dump.Defers.
	RootDefer
	// RootPanic is a panic's value. Index is into Dump.Panics.
	RootPanic
	// RootOther is a root the runtime describes in words. Index is into
	// Dump.OtherRoots.
	RootOther
)

// RootPointer is one pointer a root of the dump holds.
type RootPointer struct {
	Kind RootKind
	// Index is the root's index in the Dump slice its Kind names.
	Index int
	// Addr is the address the root points to; Offset is the pointer's
	// byte offset within the root (a segment, frame or object), 0 for
	// roots that are a single pointer.
	Addr, Offset uint64
}

// Roots yields every pointer that a root recorded in the dump holds:
// segments, stack frames, finalizers (set and queued), goroutine contexts,
// deferred calls, panics and the runtime's other roots. Pointers that lead
// outside the heap are yielded too; Find tells them apart. Cleanups and
// weak handles are not recorded in a dump (see the package comment).
func (d *Dump) Roots() iter.Seq[RootPointer] {
	return func(yield func(RootPointer) bool) {
		for i, s := range d.Segments {
			for _, p := range s.Pointers {
				if !yield(RootPointer{RootSegment, i, p.Value, p.Offset}) {
					return
				}
			}
		}
		for i, f := range d.Frames {
			for _, p := range f.Pointers {
				if !yield(RootPointer{RootFrame, i, p.Value, p.Offset}) {
					return
				}
			}
		}
		for i, f := range d.Finalizers {
			if o, ok := d.Find(f.Obj); ok {
				for _, p := range d.Pointers(o) {
					if !yield(RootPointer{RootFinalizerObject, i, p.Value, p.Offset}) {
						return
					}
				}
			}
			if !yield(RootPointer{RootFinalizerFunc, i, f.Fn, 0}) {
				return
			}
		}
		for i, f := range d.QueuedFinalizers {
			if !yield(RootPointer{RootQueuedObject, i, f.Obj, 0}) || !yield(RootPointer{RootQueuedFunc, i, f.Fn, 0}) {
				return
			}
		}
		singles := []struct {
			kind RootKind
			n    int
			addr func(int) uint64
		}{
			{RootGoroutineContext, len(d.Goroutines), func(i int) uint64 { return d.Goroutines[i].Ctxt }},
			{RootDefer, len(d.Defers), func(i int) uint64 { return d.Defers[i].Fn }},
			{RootPanic, len(d.Panics), func(i int) uint64 { return d.Panics[i].ArgData }},
			{RootOther, len(d.OtherRoots), func(i int) uint64 { return d.OtherRoots[i].Ptr }},
		}
		for _, s := range singles {
			for i := range s.n {
				if !yield(RootPointer{s.kind, i, s.addr(i), 0}) {
					return
				}
			}
		}
	}
}
