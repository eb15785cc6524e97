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
	Check func(m Measured, p Params) (pass bool, detail string)
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

var catalogue []*Scenario

// register adds a scenario to the catalogue; the catalogue's files call it
// from init, in catalogue order.
func register(s *Scenario) {
	if _, err := Lookup(s.Name); err == nil {
		panic("scenario: " + s.Name + " registered twice")
	}
	catalogue = append(catalogue, s)
}

// All returns the catalogue in its canonical order.
func All() []*Scenario {
	order := catalogueOrder
	out := slices.Clone(catalogue)
	slices.SortStableFunc(out, func(a, b *Scenario) int {
		return slices.Index(order, a.Name) - slices.Index(order, b.Name)
	})
	return out
}

// Names lists the catalogue's scenario names in order.
func Names() []string {
	var names []string
	for _, s := range All() {
		names = append(names, s.Name)
	}
	return names
}

// UnknownError is returned by Lookup for a name not in the catalogue.
type UnknownError struct {
	Name string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown scenario %q (valid: %s)", e.Name, strings.Join(Names(), ", "))
}

// Lookup returns the scenario with the given name, or an *UnknownError that
// lists the valid names.
func Lookup(name string) (*Scenario, error) {
	for _, s := range catalogue {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, &UnknownError{Name: name}
}

// catalogueOrder is the order in which scenarios are listed and run: the
// textbook cases first, then the Go-specific lessons.
var catalogueOrder = []string{
	"report-cache", "weak-ref", "dataset-cache", "listener-registry",
	"tiny-objects", "finalizer-cycle", "weak-keys", "intern", "churn",
	"capture-leak", "map-strategy",
}
