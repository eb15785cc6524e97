package cache

import "sync/atomic"

// Stats counts what a weak container has done since it was created. The
// counters are read one by one, not as a single atomic snapshot, so under
// concurrent use they may be a few operations apart from each other.
type Stats struct {
	// Puts counts the values stored: every Put or Add with a non-nil
	// argument, and every LoadOrStore that stored.
	Puts uint64
	// Hits counts the lookups (Get, Contains, LoadOrStore) that found a
	// live entry. Lookups are counted only in a container made
	// [WithStats]; otherwise Hits, Misses and StaleMisses stay 0.
	Hits uint64
	// Misses counts the lookups that found no live entry, StaleMisses
	// included. Hits+Misses is the number of lookups.
	Misses uint64
	// StaleMisses counts the misses that found an entry whose referent
	// had already been collected but that had not been removed yet. Only
	// WeakValues and WeakCache can have them: a lookup in WeakKeys or
	// WeakSet passes the key itself, which is therefore alive.
	StaleMisses uint64
	// Reclaimed counts the entries removed because their referent was
	// collected: by a cleanup, a sweep, a lookup that found them dead, or
	// a rebuild of the table. Entries removed by Delete or Remove, or
	// overwritten by Put, are not counted.
	Reclaimed uint64
}

func (s *Stats) add(o Stats) {
	s.Puts += o.Puts
	s.Hits += o.Hits
	s.Misses += o.Misses
	s.StaleMisses += o.StaleMisses
	s.Reclaimed += o.Reclaimed
}

// counters are one shard's share of its container's Stats, so that
// readers of different shards do not write the same word.
type counters struct {
	puts, hits, misses, stale, reclaimed atomic.Uint64
	lookups                              bool // count hits and misses: WithStats
}

func (c *counters) hit() {
	if c.lookups {
		c.hits.Add(1)
	}
}

func (c *counters) miss() {
	if c.lookups {
		c.misses.Add(1)
	}
}

func (c *counters) staleMiss() {
	if c.lookups {
		c.stale.Add(1)
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		Puts:        c.puts.Load(),
		Hits:        c.hits.Load(),
		Misses:      c.misses.Load(),
		StaleMisses: c.stale.Load(),
		Reclaimed:   c.reclaimed.Load(),
	}
}
