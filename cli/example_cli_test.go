package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/weakscope/weakscope/cli"
	_ "github.com/weakscope/weakscope/scenario/catalogue"
)

// A program's whole command line, run from code: here "list --format
// json" over the scenarios this program registered (the built-in
// catalogue), as a harness's main would run os.Args with cli.Main.
func ExampleRun() {
	var out bytes.Buffer
	code := cli.Run([]string{"list", "--format", "json"}, &out, os.Stderr)
	var scenarios []struct {
		Name     string   `json:"name"`
		Variants []string `json:"variants"`
	}
	if err := json.Unmarshal(out.Bytes(), &scenarios); err != nil {
		panic(err)
	}
	fmt.Println("exit", code)
	for _, s := range scenarios[:3] {
		fmt.Println(s.Name, s.Variants)
	}
	// Output:
	// exit 0
	// report-cache [strong weak]
	// weak-ref [held dropped]
	// dataset-cache [strong weak]
}
