package catalogue

import (
	"fmt"
	"github.com/weakscope/weakscope/scenario"
	"strings"
	"sync"
	"unique"

	"github.com/weakscope/weakscope/inspect"
	"github.com/weakscope/weakscope/report"
)

// intern is the intern scenario.
func intern() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "intern",
		Description: "interning strings with unique.Make against a strong interning map: memory released after the handles are dropped",
		Explanation: `Interning keeps one canonical copy of equal values. A hand-written interning
map holds every canonical string forever. unique.Make (Go 1.23) holds its
canonical values weakly: once no unique.Handle refers to a value, the next
GC cycles drop it from the runtime's internal map. The release is not
instant: the runtime clears the internal map's entries in a cleanup after
the cycle that finds them dead.`,
		Defaults: Params{Objects: 10_000, Size: 256},
		Variants: []scenario.Variant{
			{Name: "strong-map", Holder: "map[string]string", New: func(p Params) scenario.Subject { return &internSubject{p: p} }},
			{Name: "unique", Holder: "unique.Handle[string]", New: func(p Params) scenario.Subject { return &internSubject{p: p, unique: true} },
				// Followed through the live object count: see Len.
				Volatile: []string{report.CyclesToRelease}},
		},
		Expectations: []scenario.Expectation{
			{Text: "the strong map keeps every interned string", Check: scenario.Equals("strong-map", report.Entries, scenario.ObjectCount)},
			{Text: "unique retains at most 10% of what the strong map retains, plus 64 KiB for its own tables", Check: func(m scenario.Measured, p Params) (bool, string) {
				return scenario.AtMost("unique", report.RetainedBytes, func(Params) float64 { return 0.10*m.Get("strong-map", report.RetainedBytes) + 64<<10 })(m, p)
			}},
		},
	}
}

type internSubject struct {
	p      Params
	unique bool

	mu      sync.Mutex
	table   map[string]string
	handles []unique.Handle[string]
	strs    []string
}

// makeString builds a distinct string of about size bytes at run time, so
// the bytes are on the heap, not in the binary.
func makeString(i, size int) string {
	prefix := fmt.Sprintf("%d:", i)
	return prefix + strings.Repeat("x", max(size-len(prefix), 0))
}

func (s *internSubject) Populate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unique {
		s.table = make(map[string]string, s.p.Objects)
	}
	for i := range s.p.Objects {
		str := makeString(i, s.p.Size)
		if s.unique {
			s.handles = append(s.handles, unique.Make(str))
		} else {
			canon, ok := s.table[str]
			if !ok {
				s.table[str] = str
				canon = str
			}
			s.strs = append(s.strs, canon)
		}
	}
}

func (s *internSubject) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handles, s.strs = nil, nil
}

// Len is the strong table's size. unique's table cannot be counted from
// outside, so for it Len follows the live heap objects instead: it changes
// while the runtime is still dropping interned strings.
func (s *internSubject) Len() int {
	if s.unique {
		return int(inspect.Read().HeapObjects)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.table)
}

func (s *internSubject) Measure(m map[string]float64) {
	if s.unique {
		delete(m, report.Entries) // not observable: see Len
	}
}
