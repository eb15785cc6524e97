// Package scenario runs weakscope's canned scenarios: the same objects held
// in a strong holder and in weak ones, measured with one protocol.
//
// The protocol for one variant: settle the heap and take a baseline reading;
// populate (allocate the objects and put them in the holder); settle and
// read "held"; release (the callers drop the references the scenario says);
// then force GC cycles one at a time, recording every cycle, until neither
// the live object count nor the holder's length changes for two cycles in a
// row, or a budget runs out; measure. Each variant runs by default in a
// fresh child process ([IsolateProcess]) so it starts from a clean heap.
//
// A scenario states its expectations in words and checks them on every run:
// they are how a Go upgrade or a code change that alters what is released
// gets noticed.
package scenario

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/weakscope/weakscope/report"
)

// Params are a scenario's parameters: how many objects, of what size, and
// which fraction the callers keep.
type Params = report.Params

// Scenario is one canned experiment.
type Scenario struct {
	// Name is the scenario's identifier on the command line.
	Name string
	// Description says in one line what it compares.
	Description string
	// Explanation says what it shows and why it matters.
	Explanation string
	// Defaults are the parameters used unless the caller overrides them.
	Defaults Params
	// Variants are the holders compared, strongest first.
	Variants []Variant
	// Expectations are checked over the measured variants after every run.
	Expectations []Expectation
}

// Variant is one way of holding the scenario's objects.
type Variant struct {
	// Name identifies the variant within its scenario, e.g. "strong".
	Name string
	// Holder names the type that holds the objects, e.g. "cache.WeakValues".
	Holder string
	// New prepares a subject for one run with the given parameters.
	New func(p Params) Subject
	// Volatile names the metrics of this variant that vary from run to
	// run by design, because they depend on when automatic GC cycles
	// happen; a check compares them statistically.
	Volatile []string
}

// Subject is a variant's live state during one run. The runner calls
// Populate, then Release, and calls Len at any time from another goroutine
// (it is the sampler's probe), so Len must be safe for concurrent use.
type Subject interface {
	// Populate allocates the objects and puts them in the holder; the
	// subject keeps the callers' references.
	Populate()
	// Release drops the callers' references that the scenario says,
	// keeping the rest alive until the subject itself is dropped.
	Release()
	// Len is the holder's number of entries.
	Len() int
}

// Measurer is implemented by subjects with metrics of their own, such as a
// hit ratio. Measure is called after the final settle and may add to or
// override m.
type Measurer interface {
	Measure(m map[string]float64)
}

// Quiescer is implemented by subjects whose holder does work of its own
// after each GC cycle, such as a weak map's sweep. After every cycle it
// forces following the release, the runner calls Quiesce, which returns
// once that work has caught up with the cycle, so that cycles forced back
// to back cannot outpace it and the holder's length does not depend on how
// goroutines were scheduled.
type Quiescer interface {
	Quiesce()
}

// Expectation is a check over a scenario's measured variants, stated in
// words.
type Expectation struct {
	// Text states it, e.g. "weak retains ≤ 5% of what strong retains".
	Text string
	// Check decides it from the metrics of each variant (by variant name)
	// and the parameters, and says which numbers decided it.
	Check Check
}

// Measured holds each variant's metrics, by variant name then metric name.
type Measured map[string]map[string]float64

// Get returns one metric of one variant, or NaN when it was not measured.
func (m Measured) Get(variant, metric string) float64 {
	if v, ok := m[variant][metric]; ok {
		return v
	}
	return nan
}

// Params returns the scenario's parameters with the caller's overrides
// applied: fields of o that are zero keep the default.
func (s *Scenario) Params(o Params) Params {
	p := s.Defaults
	p.Extra = maps.Clone(s.Defaults.Extra)
	if o.Objects > 0 {
		p.Objects = o.Objects
	}
	if o.Size > 0 {
		p.Size = o.Size
	}
	if o.Keep > 0 {
		p.Keep = o.Keep
	}
	for k, v := range o.Extra {
		if p.Extra == nil {
			p.Extra = map[string]float64{}
		}
		p.Extra[k] = v
	}
	return p
}

// Variant returns the variant with the given name.
func (s *Scenario) Variant(name string) (Variant, bool) {
	for _, v := range s.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// VariantNames lists the scenario's variants in order.
func (s *Scenario) VariantNames() []string {
	names := make([]string, len(s.Variants))
	for i, v := range s.Variants {
		names[i] = v.Name
	}
	return names
}

var registry []*Scenario

// Register adds a scenario to the ones this program can run. Call it from
// an init function, as the built-in catalogue
// (github.com/weakscope/weakscope/scenario/catalogue) and a user's harness
// do; scenarios are listed and run in the order they were registered.
//
// Register panics, with a message that names the scenario, when its name is
// empty, contains a space or a slash, or is already registered, when it has
// no variants, or when a variant has no name, a duplicate name or no New
// function: each is a mistake in the program, found when it starts.
func Register(s *Scenario) {
	if err := s.validate(); err != nil {
		panic("scenario.Register: " + err.Error())
	}
	if _, err := Lookup(s.Name); err == nil {
		panic(fmt.Sprintf("scenario.Register: scenario %q registered twice", s.Name))
	}
	registry = append(registry, s)
}

// validate reports the first mistake in s's declaration.
func (s *Scenario) validate() error {
	if s == nil {
		return errors.New("nil scenario")
	}
	if s.Name == "" || strings.ContainsAny(s.Name, " \t\n/") {
		return fmt.Errorf("scenario name %q: want a non-empty name without spaces or slashes", s.Name)
	}
	if len(s.Variants) == 0 {
		return fmt.Errorf("scenario %q has no variants", s.Name)
	}
	seen := map[string]bool{}
	for i, v := range s.Variants {
		switch {
		case v.Name == "" || strings.ContainsAny(v.Name, " \t\n/"):
			return fmt.Errorf("scenario %q: variant %d has name %q: want a non-empty name without spaces or slashes", s.Name, i, v.Name)
		case seen[v.Name]:
			return fmt.Errorf("scenario %q: variant %q declared twice", s.Name, v.Name)
		case v.New == nil:
			return fmt.Errorf("scenario %q: variant %q has no New function", s.Name, v.Name)
		}
		seen[v.Name] = true
	}
	for i, e := range s.Expectations {
		if e.Check == nil {
			return fmt.Errorf("scenario %q: expectation %d (%q) has no Check", s.Name, i, e.Text)
		}
	}
	return nil
}

// All returns the registered scenarios in registration order.
func All() []*Scenario {
	return slices.Clone(registry)
}

// Names lists the registered scenarios' names in registration order.
func Names() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name
	}
	return names
}

// UnknownError is returned by Lookup for a name that is not registered.
type UnknownError struct {
	// Name is the name asked for.
	Name string
	// Valid lists the registered names, in registration order.
	Valid []string
	// Suggestion is the registered name closest to Name, when one is
	// close enough to be a likely typo, or "".
	Suggestion string
}

func (e *UnknownError) Error() string {
	msg := fmt.Sprintf("unknown scenario %q", e.Name)
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	if len(e.Valid) == 0 {
		return msg + " (this program registers no scenarios: import github.com/weakscope/weakscope/scenario/catalogue or call scenario.Register)"
	}
	return msg + " (valid: " + strings.Join(e.Valid, ", ") + ")"
}

// Lookup returns the registered scenario with the given name, or an
// *UnknownError that lists the valid names and suggests the closest.
func Lookup(name string) (*Scenario, error) {
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, &UnknownError{Name: name, Valid: Names(), Suggestion: closest(name, Names())}
}

// closest returns the name nearest to s in edit distance, if it is within
// a third of s's length (at least 1, at most 3 edits), or "".
func closest(s string, names []string) string {
	best, bestD := "", max(1, min(3, len(s)/3))+1
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counting an
// exchange of two neighbouring letters ("cahce") as one edit.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance between x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
