package main

import (
	"fmt"
	"iter"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
)

func init() {
	scenario.Register(sessions())
	scenario.Register(listeners())
}

func sessionID(i int) string { return fmt.Sprintf("session-%d", i) }

func newSession(i int, p scenario.Params) *Session {
	return &Session{ID: sessionID(i), User: &User{Name: "user"}, Data: make([]byte, p.Size)}
}

// sessions compares the leaking SessionCache with its weak fix and with
// weakscope's own strong and weak maps, all holding the same sessions.
func sessions() *scenario.Scenario {
	variant := func(name, holder string, h func() scenario.MapHolder[string, Session]) scenario.Variant {
		return scenario.Map[string, Session]{Name: name, Holder: holder, Key: sessionID, Value: newSession,
			New: func(scenario.Params) scenario.MapHolder[string, Session] { return h() }}.Store()
	}
	return &scenario.Scenario{
		Name:        "sessions",
		Description: "sessions whose users all log out: SessionCache keeps them, the weak cache lets them go",
		Defaults:    scenario.Params{Objects: 10_000, Size: 1024},
		Variants: []scenario.Variant{
			variant("session-cache", "SessionCache", func() scenario.MapHolder[string, Session] { return NewSessionCache() }),
			variant("weak-session-cache", "WeakSessionCache", func() scenario.MapHolder[string, Session] { return NewWeakSessionCache() }),
			variant("strong", "cache.Strong", func() scenario.MapHolder[string, Session] { return cache.NewStrong[string, Session]() }),
			variant("weak", "cache.WeakValues", func() scenario.MapHolder[string, Session] { return cache.NewWeakValues[string, Session]() }),
		},
		Expectations: []scenario.Expectation{
			{Text: "SessionCache keeps every logged-out session (the bug)", Check: scenario.Equals("session-cache", report.Entries, scenario.ObjectCount)},
			{Text: "WeakSessionCache keeps none", Check: scenario.Equals("weak-session-cache", report.Entries, scenario.Const(0))},
			{Text: "WeakSessionCache retains no more than weakscope's weak map, plus 10%", Check: func(m scenario.Measured, p scenario.Params) (bool, string) {
				limit := 1.1*m.Get("weak", report.RetainedBytes) + 64<<10
				return scenario.AtMost("weak-session-cache", report.RetainedBytes, scenario.Const(limit))(m, p)
			}},
		},
	}
}

// listeners compares the strong Registry with a weak set.
func listeners() *scenario.Scenario {
	newListener := func(i int, p scenario.Params) *Listener { return &Listener{Owner: &User{}} }
	return &scenario.Scenario{
		Name:        "listeners",
		Description: "listeners whose owners drop half of them: Registry keeps notifying them, a weak set does not",
		Defaults:    scenario.Params{Objects: 5_000, Size: 64, Keep: 0.5},
		Variants: []scenario.Variant{
			scenario.Set[Listener]{Name: "registry", Holder: "Registry", Value: newListener,
				New: func(scenario.Params) scenario.SetHolder[Listener] { return registryHolder{&Registry{}} }}.Store(),
			scenario.Set[Listener]{Name: "weak-set", Holder: "cache.WeakSet", Value: newListener,
				New: func(scenario.Params) scenario.SetHolder[Listener] { return cache.NewWeakSet[Listener]() }}.Store(),
		},
		Expectations: []scenario.Expectation{
			{Text: "the weak set delivers nothing to lapsed listeners", Check: scenario.Equals("weak-set", "lapsed_deliveries", scenario.Const(0))},
			{Text: "the registry still delivers to every lapsed listener (the bug)", Check: scenario.Equals("registry", "lapsed_deliveries", scenario.DroppedCount)},
		},
	}
}

// registryHolder gives Registry.All the iterator type the set protocol
// takes.
type registryHolder struct{ *Registry }

func (r registryHolder) All() iter.Seq[*Listener] { return iter.Seq[*Listener](r.Registry.All()) }
