// Package catalogue is weakscope's built-in scenarios: the textbook uses of
// weak references (a cache, a weak pointer, a registry of listeners) and
// the lessons particular to Go (tiny objects, finalizer cycles, weak keys
// without ephemerons, interning, a weak map as a cache, cleanups that leak,
// two ways to notice dead entries), then the runtime's known surprises:
// one scenario per behaviour reported on the Go issue tracker, named after
// its issue (go76362-tiny-weak, ...), that says what the report says and
// checks what the release at hand does. Importing it registers them, in
// the order below, with package scenario:
//
//	import _ "github.com/weakscope/weakscope/scenario/catalogue"
//
// weakscope's own binary imports it; a harness for a user's own holders
// may or may not. The scenarios are built from the same blocks a user's are
// (scenario.Map, scenario.Set, the checks of package scenario), and are a
// set of worked examples of them.
package catalogue

import "github.com/weakscope/weakscope/scenario"

func init() {
	// The textbook cases first, then the lessons particular to Go, then
	// the runtime's known surprises, each named after its Go issue.
	all := []*scenario.Scenario{
		reportCache(), weakRef(), datasetCache(), listenerRegistry(),
		tinyObjects(), finalizerCycle(), weakKeys(), intern(), churn(),
		captureLeak(), mapStrategy(),
	}
	for _, s := range append(all, surprises()...) {
		scenario.Register(s)
	}
}
