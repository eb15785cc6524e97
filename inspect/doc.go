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
// Package inspect imports nothing else of weakscope, so it can be used on its
// own in any test.
package inspect
