// Package catalogue is weakscope's built-in scenarios: the textbook uses of
// weak references (a cache, a weak pointer, a registry of listeners) and
// the lessons particular to Go (tiny objects, finalizer cycles, weak keys
// without ephemerons, interning, a weak map as a cache, cleanups that leak,
// two ways to notice dead entries). Importing it registers them, in the
// order below, with package scenario:
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
	// The textbook cases first, then the lessons particular to Go.
	for _, s := range []*scenario.Scenario{
		reportCache(), weakRef(), datasetCache(), listenerRegistry(),
		tinyObjects(), finalizerCycle(), weakKeys(), intern(), churn(),
		captureLeak(), mapStrategy(),
	} {
		scenario.Register(s)
	}
}
