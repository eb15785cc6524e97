package inspect

import (
	"context"
	"time"
)

// Option configures a [Sampler].
type Option interface {
	applySampler(*samplerConfig)
}

// SettleOption configures [Settle], [WaitCollected], [VerifyCollected] and
// the settling done by [WriteHeapProfile].
type SettleOption interface {
	applySettle(*settleConfig)
}

// Default budgets for the functions that wait on the collector.
const (
	// DefaultMaxCycles is how many GC cycles Settle and WaitCollected
	// force before they give up.
	DefaultMaxCycles = 10
	// DefaultTimeout is how long Settle and WaitCollected wait in all,
	// cycles and cleanup catch-up included, before they give up.
	DefaultTimeout = 10 * time.Second
)

type settleConfig struct {
	maxCycles  int
	timeout    time.Duration
	probes     []func() int
	afterCycle func(context.Context) error
	holders    []holder
}

// holder is a holder under test, given with WithHolder.
type holder struct {
	name  string
	alive func() bool
}

func newSettleConfig(opts []SettleOption) settleConfig {
	c := settleConfig{maxCycles: DefaultMaxCycles, timeout: DefaultTimeout}
	for _, o := range opts {
		o.applySettle(&c)
	}
	return c
}

type samplerConfig struct {
	probe    func() int
	capacity int
}

type settleFunc func(*settleConfig)

func (f settleFunc) applySettle(c *settleConfig) { f(c) }

type samplerFunc func(*samplerConfig)

func (f samplerFunc) applySampler(c *samplerConfig) { f(c) }

// WithMaxCycles sets how many GC cycles may be forced before giving up
// (default [DefaultMaxCycles]). Values below 1 mean 1.
func WithMaxCycles(n int) SettleOption {
	return settleFunc(func(c *settleConfig) { c.maxCycles = max(n, 1) })
}

// WithAfterCycle has [Settle] call f after every cycle it forces, once the
// cleanups and finalizers that cycle queued have run and before it reads
// the heap and the probes to decide whether the heap has settled: for work
// that must follow each cycle, such as letting a holder sweep its dead
// entries or recording the cycle. An error from f ends Settle with it.
func WithAfterCycle(f func(ctx context.Context) error) SettleOption {
	return settleFunc(func(c *settleConfig) { c.afterCycle = f })
}

// WithTimeout sets the time budget for the whole wait (default
// [DefaultTimeout]). A zero or negative duration means no time budget: only
// the cycle budget and the context bound the wait.
func WithTimeout(d time.Duration) SettleOption {
	return settleFunc(func(c *settleConfig) { c.timeout = d })
}

// WithCapacity preallocates room for n readings in a Sampler's timeline, so
// that recording them does not allocate during the measurement.
func WithCapacity(n int) Option {
	return samplerFunc(func(c *samplerConfig) { c.capacity = max(n, 0) })
}

// ProbeOption is returned by [WithProbe]. It is both an [Option] and a
// [SettleOption].
type ProbeOption struct {
	f func() int
}

// WithProbe adds a caller-supplied measure, such as the length of a map
// under test.
//
// As a [SettleOption] the heap only counts as settled when no probe changed
// either; several probes may be given. As an [Option] for a [Sampler], the
// probe's value is recorded in every reading as [Sample.Probe] (the last
// probe given wins). The probe runs on the Sampler's or Settle's goroutine
// and must be safe to call from there.
func WithProbe(f func() int) ProbeOption { return ProbeOption{f: f} }

func (o ProbeOption) applySettle(c *settleConfig) {
	if o.f != nil {
		c.probes = append(c.probes, o.f)
	}
}

func (o ProbeOption) applySampler(c *samplerConfig) { c.probe = o.f }
