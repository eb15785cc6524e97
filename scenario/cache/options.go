package cache

import "fmt"

// Strategy is how a weak container gets rid of the entries whose referent
// the collector has reclaimed. Both strategies are correct; they trade the
// cost of an insert against how soon a dead entry stops being counted.
type Strategy uint8

const (
	// Cleanup registers one runtime.AddCleanup per entry, which removes
	// the entry shortly after the cycle that collected its referent. Len
	// is exact as soon as the runtime has run the cleanups. It is the
	// default.
	Cleanup Strategy = iota
	// Sweep registers nothing per entry. Dead entries are dropped by a
	// sweep over the whole container after every GC cycle, on a goroutine
	// of its own, and a few at a time by the writes in between. Inserts
	// are cheaper and entries smaller, but Len may count dead entries
	// until the sweep after their referent's cycle has run, and each
	// sweep costs time proportional to the container's size.
	Sweep
)

// String returns "cleanup" or "sweep", the names weakscope's reports use.
func (s Strategy) String() string {
	switch s {
	case Cleanup:
		return "cleanup"
	case Sweep:
		return "sweep"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// Option configures a weak container at construction.
type Option interface {
	apply(*config)
}

type config struct {
	strategy Strategy
	stats    bool // count lookups: see WithStats
	// noSweeper leaves a Sweep container without its per-cycle sweep, so
	// that tests can observe dead entries deterministically. Only the
	// package's own tests set it.
	noSweeper bool
}

// newConfig sets the defaults first, so that an option given later always
// wins, and nil options are ignored.
func newConfig(opts []Option) config {
	c := config{strategy: Cleanup}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithStrategy chooses how dead entries are removed (default [Cleanup]).
// It panics for a value that is neither Cleanup nor Sweep, since a typo
// there would otherwise silently measure the wrong thing.
func WithStrategy(s Strategy) Option {
	if s != Cleanup && s != Sweep {
		panic(fmt.Sprintf("cache: unknown strategy %d", uint8(s)))
	}
	return optionFunc(func(c *config) { c.strategy = s })
}

// WithStats makes the container count its lookups: Stats then reports
// Hits, Misses and StaleMisses too. Counting costs an atomic add on every
// lookup, about as much as the rest of a lookup that finds its shard's
// lock free, so it is off by default (as Caffeine's recordStats() is);
// Puts and Reclaimed, counted on paths that write anyway, are always kept.
func WithStats() Option {
	return optionFunc(func(c *config) { c.stats = true })
}
