// Package inspect observes the Go runtime's garbage collector from inside the
// process: what is live, how many GC cycles have run, and whether the
// cleanups and finalizers those cycles queued have executed.
//
// Everything here reads [runtime/metrics], never [runtime.ReadMemStats],
// which stops the world on every call. [Read] takes one reading; a [Sampler]
// takes one reading per GC cycle, automatic cycles included; [Settle] forces
// cycles until the heap stops changing; [WaitCollected] and [VerifyCollected]
// wait for one object to be collected; [WriteHeapProfile] writes a heap
// profile of a settled heap.
//
// # Why waiting needs a budget
//
// The runtime promises little about when memory is released. A weak pointer
// is cleared in the cycle that finds its referent unreachable, but cleanups
// and finalizers run later, on their own goroutines, in no particular order,
// and an object that a finalizer or a cleanup chain keeps alive needs further
// cycles. So every function here that waits does so with a cycle budget and a
// time budget ([WithMaxCycles], [WithTimeout]) and a context, and reports
// what it saw when the budget runs out instead of hanging.
//
// # What keeps an object alive
//
// [RetentionPaths] and [WhyAlive] answer the question a failed
// [VerifyCollected] raises: they write a heap dump of the process, read it
// with package [github.com/weakscope/weakscope/inspect/heapdump], and
// report for each object a shortest chain of pointers from a GC root (a
// global, a stack frame, a finalizer or a cleanup) to it, such as
//
//	global cache.registry (bss) → object (48 B) → object+0x18 (8.0 KiB) → cache.Entry (1.0 KiB)
//
// Globals are named from the executable's symbol table, which "go run" and
// "go test" leave out; [NameGlobal] names them then. Heap dumps do not list
// cleanups, so paths from cleanups are inferred, and type names are only
// known for the objects that record them.
//
// Package inspect imports nothing else of weakscope but its own heapdump
// package, so it can be used on its own in any test.
package inspect
