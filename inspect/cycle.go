package inspect

import (
	"runtime"
	"sync/atomic"
)

// OnCycle arranges for f to be called after every GC cycle, automatic cycles
// included, until f returns false or stop is called. It is the mechanism the
// [Sampler] uses, for code that has work to do once per cycle, such as
// sweeping the dead entries out of a weak map.
//
// f runs on a goroutine of its own, started after a cycle ends, never on the
// runtime's cleanup goroutine, so a slow f delays no cleanups. Calls never
// overlap: when cycles end while f runs, f is called once more afterwards, and
// its argument, the current GC cycle count, tells it how many cycles passed.
// No goroutine waits between cycles, and stop returns at once.
//
// The registration keeps f, and whatever f refers to, alive until it ends.
// To do per-cycle work for an object without keeping that object alive, let
// f hold a [weak.Pointer] to it and return false once the pointer is nil.
func OnCycle(f func(cycle uint64) bool) (stop func()) {
	n := &notifier{f: f}
	n.rearm()
	return func() { n.stopped.Store(true) }
}

// notifier is the argument of its sentinels' cleanups.
type notifier struct {
	f       func(uint64) bool
	stopped atomic.Bool
	running atomic.Bool // a goroutine is calling f
	pending atomic.Bool // a cycle ended while f was running
}

func (n *notifier) rearm() {
	if n.stopped.Load() {
		return
	}
	runtime.AddCleanup(new(sentinel), notifierWoken, n)
}

func notifierWoken(n *notifier) {
	n.rearm()
	n.pending.Store(true)
	if n.running.CompareAndSwap(false, true) {
		go n.run()
	}
}

func (n *notifier) run() {
	for {
		for n.pending.Swap(false) {
			if n.stopped.Load() {
				break
			}
			if !n.f(Read().Cycle) {
				n.stopped.Store(true)
			}
		}
		n.running.Store(false)
		// A wake-up that came after the last Swap but before running was
		// cleared found running set and left the work to us.
		if !n.pending.Load() || n.stopped.Load() || !n.running.CompareAndSwap(false, true) {
			return
		}
	}
}
