package scenario_test

import (
	"context"
	"fmt"

	"github.com/weakscope/weakscope/scenario"
)

// Run one scenario in this process and print its verdicts.
func ExampleRun() {
	sc, err := scenario.Lookup("weak-ref")
	if err != nil {
		panic(err)
	}
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
	// true the weak pointers of held objects stay non-nil
	// true the weak pointers of dropped objects are nil after settling
	// true the first GC cycle that starts after the drop clears them: 1 cycle, or 2 if one was already under way
}
