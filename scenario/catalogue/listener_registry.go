package catalogue

import (
	"github.com/weakscope/weakscope/scenario"

	"github.com/weakscope/weakscope/scenario/cache"
)

// listenerRegistry is the listener-registry scenario.
func listenerRegistry() *scenario.Scenario {
	return &scenario.Scenario{
		Name:        "listener-registry",
		Description: "an event registry whose owners drop half the listeners: a strong set keeps notifying them, a weak set does not",
		Explanation: `The lapsed-listener leak: a registry that holds its listeners strongly keeps
every listener alive after its owner is done with it, and goes on delivering
events to it. A weak set (Python's WeakSet) registers listeners without
owning them: once the owner drops one and a GC cycle runs, the registry
forgets it. Events go only to the living.`,
		Defaults: Params{Objects: 10_000, Size: 256, Keep: 0.5},
		Variants: []scenario.Variant{
			scenario.Set[object]{Name: "strong", Holder: "cache.StrongSet", Value: newValue,
				New: func(Params) scenario.SetHolder[object] { return cache.NewStrongSet[object]() }}.Store(),
			scenario.Set[object]{Name: "weak", Holder: "cache.WeakSet", Value: newValue,
				New: func(Params) scenario.SetHolder[object] { return cache.NewWeakSet[object]() }}.Store(),
		},
		Expectations: []scenario.Expectation{
			{Text: "strong delivers each event to every listener, lapsed ones included", Check: scenario.Equals("strong", "deliveries_per_event", scenario.ObjectCount)},
			{Text: "weak delivers each event only to the listeners still owned", Check: scenario.Equals("weak", "deliveries_per_event", scenario.KeptCount)},
			{Text: "weak delivers nothing to lapsed listeners", Check: scenario.Equals("weak", "lapsed_deliveries", scenario.Const(0))},
		},
	}
}
