// Command weakscope shows what Go's weak references, cleanups and interning
// really release: it runs the built-in scenarios, which hold the same
// objects in strong and weak containers, watches every GC cycle, and
// reports retained memory, cycles to release and cost.
//
// Usage:
//
//	weakscope run [SCENARIO...]
//	weakscope check --baseline FILE [SCENARIO...]
//	weakscope list
//	weakscope report RESULTS.json
//	weakscope version
//	weakscope completion bash|zsh|fish|powershell
//
// Run "weakscope --help" for the full list of commands and flags. The
// command line is package github.com/weakscope/weakscope/cli; a program
// that registers scenarios of its own gets all of it with the same two
// lines as this one.
package main

import (
	"os"

	"github.com/weakscope/weakscope/cli"
	_ "github.com/weakscope/weakscope/scenario/catalogue"
)

func main() { os.Exit(cli.Main()) }
