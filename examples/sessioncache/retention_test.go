package main

import (
	"testing"

	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/scenariotest"
)

// TestMain lets the scenarios run in child processes (this test binary
// again), each with a clean heap.
func TestMain(m *testing.M) { scenariotest.Main(m) }

// The caches keep what they are expected to keep. With
// -weakscope.baseline FILE, their retention is also judged against a
// baseline, as weakscope check judges it.
func TestRetention(t *testing.T) {
	for _, name := range []string{"sessions", "listeners"} {
		t.Run(name, func(t *testing.T) {
			sc, err := scenario.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			scenariotest.Run(t, sc)
		})
	}
}
