// Command sessioncache is a weakscope harness for this module's own
// caches: every weakscope command (run, check, report, list) over the
// scenarios in scenarios.go. Try:
//
//	go run . run
//	go run . check --baseline retention-baseline.json --update
//	go run . check --baseline retention-baseline.json
package main

import (
	"os"

	"github.com/weakscope/weakscope/cli"
)

func main() { os.Exit(cli.Main()) }
