// Package heapdump reads the heap dumps that [runtime/debug.WriteHeapDump]
// writes, keeping what is needed to follow pointers through the heap: every
// object's address, size and pointer words, and the roots the collector
// starts from.
//
// # The format
//
// A dump starts with the line "go1.7 heap dump\n" and is then a sequence of
// records up to an end record. Every record starts with an unsigned varint
// tag saying its kind, followed by fields in a fixed order. Integers,
// addresses and booleans (0 or 1) are unsigned varints; strings and blocks
// of memory are a varint length followed by that many bytes. A block of
// memory that may hold pointers is followed by a list of its pointer words,
// each a varint kind (1) and a varint byte offset, ended by a 0.
//
// In the order the runtime writes them, a dump holds: the parameters
// (pointer size, byte order, the address range of the heap arenas, the
// architecture, the Go version and the number of CPUs); the itabs and the
// types they name; every allocated heap object, in full, with its pointer
// words; every goroutine, each followed by its stack frames (contents and
// pointer words), deferred calls and panics; the OS threads; the data and
// bss segments of the main program with their pointer words; the finalizers
// set on objects and those queued to run; the memory statistics; and the
// heap profile's buckets and sampled allocations.
//
// # What a dump leaves out
//
// The runtime writes a dump with the world stopped but without running a
// collection, so objects that became unreachable since the last cycle are
// still in it. Some roots the collector uses are not in it at all: cleanups
// ([runtime.AddCleanup]) and weak handles are kept off the heap and are not
// written, nor are the globals of plugins or other modules, nor memory the
// runtime allocates off the heap. Objects kept alive only by such roots
// appear in the dump but cannot be reached from the roots it lists. Object
// sizes are the sizes of the allocation slots, not of the values stored in
// them, and tiny objects packed into one 16-byte slot appear as one object.
//
// # Memory
//
// [Read] streams the dump and keeps, per object, its address, size, first
// word (enough to recognise closures and type headers) and the words at its
// pointer offsets that point into the heap's address range. The contents
// themselves are dropped, so the result is much smaller than the dump.
package heapdump
