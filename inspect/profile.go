package inspect

import (
	"context"
	"fmt"
	"io"
	"runtime/pprof"
)

// WriteHeapProfile settles the heap (see [Settle]) and then writes the
// runtime's heap profile to w in the gzipped protocol-buffer format that
// `go tool pprof` reads.
//
// Which cycle it reflects: the runtime publishes heap-profile data late, so
// that an allocation is only reported once the collector has had a chance to
// free it, and a profile may be up to two GC cycles old
// ([runtime.MemProfile]). Settle forces at least two cycles and stops only
// once two cycles in a row changed nothing, so the profile written here
// describes the settled heap: its inuse_space and inuse_objects are what the
// collector kept alive, not garbage that was merely not yet swept.
//
// The profile is sampled: the runtime records about one allocation per
// [runtime.MemProfileRate] bytes (512 KiB by default) and scales the counts
// up, so small populations are estimated, not counted. For exact counts set
// runtime.MemProfileRate = 1 as early as possible in the program (before the
// allocations of interest); it makes every allocation slower.
func WriteHeapProfile(w io.Writer, opts ...SettleOption) error {
	if _, err := Settle(context.Background(), opts...); err != nil {
		return fmt.Errorf("inspect: settling before the heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(w, 0); err != nil {
		return fmt.Errorf("inspect: writing heap profile: %w", err)
	}
	return nil
}
