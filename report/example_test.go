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
