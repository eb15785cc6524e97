package catalogue

import (
	"sync"
	"weak"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
)

// The runtime's known surprises: one scenario per behaviour reported on the
// Go issue tracker around weak, runtime.AddCleanup and unique, named
// go<issue>-<what> so that `weakscope list` shows the issue number. Each
// explanation says what the report says and what the runtime sources of
// the releases we measured do about it; each expectation states what those
// releases do now, as measured (docs/SURPRISES.md has the table), so a Go
// release that changes it fails `weakscope check`.
func surprises() []*scenario.Scenario {
	return []*scenario.Scenario{tinyWeak(), weakCleanupTiny(), uniqueChurn(), cleanupOneField()}
}

// weakList is a list of weak pointers whose Len counts those that still
// return their object. Len runs on the sampler's goroutine, hence the lock.
type weakList[T any] struct {
	mu   sync.Mutex
	ptrs []weak.Pointer[T]
}

func (l *weakList[T]) add(p *T) {
	l.mu.Lock()
	l.ptrs = append(l.ptrs, weak.Make(p))
	l.mu.Unlock()
}

// Len counts the weak pointers that are not yet cleared.
func (l *weakList[T]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.ptrs {
		if p.Value() != nil {
			n++
		}
	}
	return n
}

// allCleared is the expectation that variant's weak pointers are all nil
// after settling.
func allCleared(variant string) scenario.Check {
	return scenario.Equals(variant, report.Entries, scenario.Const(0))
}
