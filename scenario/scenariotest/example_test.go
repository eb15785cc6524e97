package scenariotest_test

import (
	"testing"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
	"github.com/weakscope/weakscope/scenario/scenariotest"
)

type token struct {
	_    *token
	body []byte
}

// A test that the weak-value map lets go of every token its callers drop.
// In a _test.go file the function below is a test of its own
// (func TestTokens(t *testing.T)), and TestMain is
// func TestMain(m *testing.M) { scenariotest.Main(m) }.
func ExampleRun() {
	tokens := &scenario.Scenario{
		Name:     "tokens",
		Defaults: scenario.Params{Objects: 1000, Size: 128},
		Variants: []scenario.Variant{
			scenario.Map[int, token]{Name: "weak", Holder: "cache.WeakValues",
				Key:   func(i int) int { return i },
				Value: func(i int, p scenario.Params) *token { return &token{body: make([]byte, p.Size)} },
				New:   func(scenario.Params) scenario.MapHolder[int, token] { return cache.NewWeakValues[int, token]() },
			}.Store(),
		},
		Expectations: []scenario.Expectation{
			{Text: "no token is left", Check: scenario.Equals("weak", report.Entries, scenario.Const(0))},
		},
	}
	testTokens := func(t *testing.T) {
		scenariotest.Run(t, tokens)
	}
	_ = testTokens
}
