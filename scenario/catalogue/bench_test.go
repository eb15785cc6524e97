package catalogue_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/weakscope/weakscope/scenario"
)

// BenchmarkRunScaling runs report-cache and map-strategy in this process at
// 100k and 1M objects, for CPU profiles of how a run grows with its size
// (docs/PERFORMANCE.md): go test -run '^$' -bench RunScaling -cpuprofile.
func BenchmarkRunScaling(b *testing.B) {
	for _, name := range []string{"report-cache", "map-strategy"} {
		for _, n := range []int{100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/objects=%d", name, n), func(b *testing.B) {
				sc, _ := scenario.Lookup(name)
				opts := scenario.DefaultOptions()
				opts.Isolate = scenario.IsolateNone
				opts.Params.Objects = n
				for b.Loop() {
					if _, err := scenario.Run(context.Background(), sc, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
