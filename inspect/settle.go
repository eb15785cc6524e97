package inspect

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
	"weak"
)

// SettleResult is what [Settle] saw.
type SettleResult struct {
	// Cycles is the number of GC cycles Settle forced.
	Cycles int
	// Settled reports whether two cycles in a row changed neither the
	// number of live objects nor any probe. False means a budget ran out
	// first (see TimedOut) and the heap may still be changing.
	Settled bool
	// TimedOut reports whether the time budget ran out, as opposed to the
	// cycle budget, or cleanups and finalizers did not catch up in time.
	TimedOut bool
	// Before is the reading taken before the first cycle, After the reading
	// taken after the last one, once its cleanups and finalizers had run.
	Before, After Sample
	// Probes holds the probes' final values, in the order they were given.
	Probes []int
}

// ErrStillReachable is wrapped by the error [WaitCollected] returns when an
// object outlives the cycle or time budget.
var ErrStillReachable = errors.New("still reachable")

// Settle forces GC cycles until the heap stops changing. Each cycle is a
// runtime.GC followed by a wait until every cleanup and finalizer queued so
// far has executed (objects they release need a further cycle). The heap is
// settled once two cycles in a row have changed neither the number of live
// objects nor the value of any probe ([WithProbe]).
//
// Settle never hangs: it stops when the cycle budget ([WithMaxCycles],
// default 10) or the time budget ([WithTimeout], default 10s) runs out and
// says so in the result, with a nil error. The error is non-nil only when
// ctx is done, which stops Settle promptly, between cycles or while it waits
// for cleanups.
//
// Other goroutines that allocate while Settle runs keep the object count
// moving, so a busy process may never settle; the result then says so.
func Settle(ctx context.Context, opts ...SettleOption) (SettleResult, error) {
	cfg := newSettleConfig(opts)
	deadline := cfg.deadline()
	res := SettleResult{Before: Read()}
	res.After = res.Before
	prev := res.Before
	prevProbes := cfg.probe(nil)
	var probes []int
	quiet := 0
	for res.Cycles < cfg.maxCycles {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if expired(deadline) {
			res.TimedOut = true
			break
		}
		runtime.GC()
		res.Cycles++
		cur, err := catchUp(ctx, deadline)
		if err == nil && cfg.afterCycle != nil {
			if err := cfg.afterCycle(ctx); err != nil {
				return res, err
			}
			cur = Read()
		}
		res.After = cur
		probes = cfg.probe(probes[:0])
		res.Probes = slices.Clone(probes)
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			res.TimedOut = true
			break
		}
		if cur.HeapObjects == prev.HeapObjects && slices.Equal(probes, prevProbes) {
			quiet++
		} else {
			quiet = 0
		}
		if quiet >= 2 {
			res.Settled = true
			break
		}
		prev = cur
		prevProbes, probes = probes, prevProbes
	}
	return res, nil
}

// WaitCollected forces GC cycles until p no longer points to a live object
// and returns how many cycles that took: 0 if it was already collected, 1 if
// one cycle was enough. Between cycles it waits for queued cleanups and
// finalizers to run, since they may hold the last reference.
//
// When the cycle or time budget runs out first, the error wraps
// [ErrStillReachable] and says how many cycles were tried; when ctx is done
// it wraps ctx.Err().
func WaitCollected[T any](ctx context.Context, p weak.Pointer[T], opts ...SettleOption) (cycles int, err error) {
	cfg := newSettleConfig(opts)
	deadline := cfg.deadline()
	for {
		if p.Value() == nil {
			if dead := cfg.deadHolders(); len(dead) > 0 {
				return cycles, fmt.Errorf("inspect: the object was collected, but so was its holder (%s): that proves nothing about what the holder releases; keep the holder alive until the check, e.g. with runtime.KeepAlive after it: %w", strings.Join(dead, ", "), ErrHolderCollected)
			}
			return cycles, nil
		}
		if err := ctx.Err(); err != nil {
			return cycles, fmt.Errorf("inspect: waiting for collection after %d GC cycles: %w", cycles, err)
		}
		if cycles >= cfg.maxCycles || expired(deadline) {
			return cycles, fmt.Errorf("inspect: object %w after %d GC cycles", ErrStillReachable, cycles)
		}
		runtime.GC()
		cycles++
		if _, err := catchUp(ctx, deadline); err != nil && ctx.Err() != nil {
			return cycles, fmt.Errorf("inspect: waiting for collection after %d GC cycles: %w", cycles, err)
		}
	}
}

// ErrHolderCollected is wrapped by the error [WaitCollected] and
// [VerifyCollected] return when the object was collected but a holder
// given with [WithHolder] was collected too.
var ErrHolderCollected = errors.New("holder collected")

// WithHolder names the holder under test — the cache, map or registry the
// object was stored in — for [WaitCollected] and [VerifyCollected], held
// weakly. An object collected together with its holder says nothing about
// the holder: a test that drops the cache with its values passes whether
// or not the cache would have released them. With WithHolder, that test
// fails with [ErrHolderCollected] instead. name says which holder it is in
// the message.
func WithHolder[H any](name string, h weak.Pointer[H]) SettleOption {
	return settleFunc(func(c *settleConfig) {
		c.holders = append(c.holders, holder{name: name, alive: func() bool { return h.Value() != nil }})
	})
}

// deadHolders names the holders given with WithHolder that are gone.
func (c settleConfig) deadHolders() []string {
	var dead []string
	for _, h := range c.holders {
		if !h.alive() {
			dead = append(dead, h.name)
		}
	}
	return dead
}

// TestingT is the part of [testing.TB] that [VerifyCollected] needs.
type TestingT interface {
	Helper()
	Errorf(format string, args ...any)
}

// VerifyCollected fails the test unless the object p points to is collected
// within the budget. Drop every strong reference to the object before
// calling it. The failure message says how many cycles were tried and,
// when the object outlived them, what keeps it alive: its retention path
// ([WhyAlive]), which costs a heap dump.
func VerifyCollected[T any](t TestingT, p weak.Pointer[T], opts ...SettleOption) {
	t.Helper()
	_, err := WaitCollected(context.Background(), p, opts...)
	if !errors.Is(err, ErrStillReachable) {
		if err != nil {
			t.Errorf("%v", err)
		}
		return
	}
	path, perr := WhyAlive(p)
	switch {
	case perr != nil:
		t.Errorf("%v (no retention path: %v)", err, perr)
	case !path.Found:
		t.Errorf("%v, held by a root that the heap dump does not record (a cleanup's argument, say): no path from a recorded root or a stack word reaches it", err)
	default:
		t.Errorf("%v; retention path:\n\t%v", err, path)
	}
}

func (c settleConfig) deadline() time.Time {
	if c.timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(c.timeout)
}

func (c settleConfig) probe(dst []int) []int {
	for _, f := range c.probes {
		dst = append(dst, f())
	}
	return dst
}

func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

var errCatchUp = errors.New("inspect: cleanups and finalizers did not catch up before the deadline")

// catchUp waits until the cleanups and finalizers queued at the time of the
// call have executed, and returns a reading taken after that. It yields the
// processor first (they usually run within microseconds) and then sleeps
// with a growing backoff of at most a millisecond, checking the deadline and
// ctx between sleeps.
func catchUp(ctx context.Context, deadline time.Time) (Sample, error) {
	target := Read()
	cur := target
	backoff := 10 * time.Microsecond
	for i := 0; ; i++ {
		if cur.CleanupsExecuted >= target.CleanupsQueued && cur.FinalizersExecuted >= target.FinalizersQueued {
			return cur, nil
		}
		if err := ctx.Err(); err != nil {
			return cur, err
		}
		if expired(deadline) {
			return cur, errCatchUp
		}
		if i < 20 {
			runtime.Gosched()
		} else {
			// time.Sleep reuses the goroutine's own timer, so waiting
			// allocates nothing that would disturb the object count.
			time.Sleep(backoff)
			backoff = min(backoff*2, time.Millisecond)
		}
		cur = Read()
	}
}
