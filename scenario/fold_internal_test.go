package scenario

import (
	"slices"
	"testing"

	"github.com/weakscope/weakscope/report"
)

// fold takes each metric's median and range over the runs, keeps every
// run's value in run order, and calls the variant settled only if every
// run settled.
func TestFold(t *testing.T) {
	run := func(x float64, settled bool) report.VariantResult {
		return report.VariantResult{Variant: "v", Runs: 1, Settled: settled, Metrics: map[string]float64{"m": x}}
	}
	got := fold([]report.VariantResult{run(1, true), run(5, true), run(3, false)})
	if got.Runs != 3 || got.Metrics["m"] != 3 || got.Min["m"] != 1 || got.Max["m"] != 5 {
		t.Errorf("runs %d, median %v, range %v–%v; want 3, 3, 1–5", got.Runs, got.Metrics["m"], got.Min["m"], got.Max["m"])
	}
	if !slices.Equal(got.Samples["m"], []float64{1, 5, 3}) {
		t.Errorf("samples %v, want [1 5 3] in run order", got.Samples["m"])
	}
	if got.Settled {
		t.Errorf("settled although one run did not")
	}
	if even := fold([]report.VariantResult{run(1, true), run(4, true)}); even.Metrics["m"] != 2.5 || !even.Settled {
		t.Errorf("two runs: median %v, settled %v; want 2.5, true", even.Metrics["m"], even.Settled)
	}
}
