package report_test

import (
	"fmt"

	"github.com/weakscope/weakscope/report"
)

func ExampleParseBytes() {
	for _, s := range []string{"512", "4KiB", "1MiB", "12XB"} {
		n, err := report.ParseBytes(s)
		fmt.Println(n, err)
	}
	// Output:
	// 512 <nil>
	// 4096 <nil>
	// 1048576 <nil>
	// 0 "12XB" is not a size (want a positive number with an optional unit B, KiB, MiB, GiB, KB, MB, GB)
}

func ExampleFormatBytes() {
	fmt.Println(report.FormatBytes(10_700_000))
	// Output: 10.2 MiB
}

// Two CI jobs' results, one per Go version, merged into one document whose
// variants name their toolchain, then compared toolchain against toolchain.
func ExampleMerge() {
	job := func(goVersion string, weakRetained float64) *report.Results {
		return &report.Results{Schema: report.Schema, Env: report.Env{GoVersion: goVersion, GOOS: "linux", GOARCH: "amd64"},
			Scenarios: []report.ScenarioResult{{Name: "sessions", Params: report.Params{Objects: 10_000, Size: 1024},
				Variants: []report.VariantResult{{Variant: "weak", Runs: 1, Metrics: map[string]float64{report.RetainedBytes: weakRetained}}}}}}
	}
	merged, err := report.Merge([]report.MergeInput{
		{File: "go1.26.8/results.json", Results: job("go1.26.8", 600<<10)},
		{File: "go1.27.3/results.json", Results: job("go1.27.3", 2<<20)},
	}, report.MergeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range merged.Scenarios[0].Variants {
		fmt.Println(v.Variant, v.Setting, report.FormatBytes(v.Metrics[report.RetainedBytes]))
	}
	for _, m := range report.CompareEnvironments(merged, report.DefaultCompareOptions()) {
		fmt.Println(m.Name(), m.Verdict)
	}
	fmt.Println(merged.NeededSchema())
	// Output:
	// weak go1.26.8 600.0 KiB
	// weak go1.27.3 2.0 MiB
	// sessions/weak [go1.27.3] retained_bytes REGRESSED
	// weakscope/results/v2
}
