package scenario_test

import (
	"context"
	"fmt"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/scenario"
	"github.com/weakscope/weakscope/scenario/cache"
)

// page is what the example caches: a value with a pointer field (so that
// the tiny allocator never packs it with others) and a body.
type page struct {
	_    *page
	body []byte
}

// A scenario of one's own: the same pages in a strong cache and in a
// weak-value map, through the framework's store protocol, with what each
// is expected to keep once the callers drop every page.
func Example() {
	newPage := func(i int, p scenario.Params) *page { return &page{body: make([]byte, p.Size)} }
	key := func(i int) int { return i }
	sc := &scenario.Scenario{
		Name:        "pages",
		Description: "pages in a strong cache and in a weak-value map, all dropped by their callers",
		Defaults:    scenario.Params{Objects: 1000, Size: 512},
		Variants: []scenario.Variant{
			scenario.Map[int, page]{Name: "strong", Holder: "cache.Strong", Key: key, Value: newPage,
				New: func(scenario.Params) scenario.MapHolder[int, page] { return cache.NewStrong[int, page]() }}.Store(),
			scenario.Map[int, page]{Name: "weak", Holder: "cache.WeakValues", Key: key, Value: newPage,
				New: func(scenario.Params) scenario.MapHolder[int, page] { return cache.NewWeakValues[int, page]() }}.Store(),
		},
		Expectations: []scenario.Expectation{
			{Text: "strong keeps every page", Check: scenario.Equals("strong", report.Entries, scenario.ObjectCount)},
			{Text: "weak keeps none", Check: scenario.Equals("weak", report.Entries, scenario.Const(0))},
			{Text: "strong retains at least the pages' bodies", Check: scenario.AtLeast("strong", report.RetainedBytes,
				func(p scenario.Params) float64 { return float64(p.Objects * p.Size) })},
		},
	}
	// A program registers its scenarios from init, for the command line
	// (package cli); a test or a program can also run one directly.
	opts := scenario.DefaultOptions()
	opts.Isolate = scenario.IsolateNone
	res, err := scenario.Run(context.Background(), sc, opts)
	if err != nil {
		panic(err)
	}
	for _, e := range res.Expectations {
		fmt.Println(e.Pass, e.Text)
	}
	// Output:
	// true strong keeps every page
	// true weak keeps none
	// true strong retains at least the pages' bodies
}
