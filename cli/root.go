package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Commands print to stdout and stderr
// as given, so tests can capture them. started is set once cobra has
// accepted the command line and a command begins to run: an error before
// that is cobra rejecting the command line, a usage error.
func newRootCmd(stdout, stderr io.Writer, started *bool) *cobra.Command {
	root := &cobra.Command{
		Use:   "weakscope",
		Short: "See what Go's weak references, cleanups and interning really release",
		Long: `weakscope runs canned scenarios that hold the same objects in strong caches
and in weak maps and sets, forces and watches the garbage collector, and
reports what each one retains, after how many GC cycles it lets go, and at
what cost.`,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		SilenceErrors:              true,
		CompletionOptions:          cobra.CompletionOptions{HiddenDefaultCmd: false},
		Args:                       subcommandArgs,
		PersistentPreRun: func(*cobra.Command, []string) {
			*started = true
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Anything cobra rejects before a command runs is a usage error; the
	// message already names the flag.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%v (see '%s --help')", err, cmd.CommandPath())
	})
	root.AddCommand(newRunCmd(stdout, stderr), newCheckCmd(stdout, stderr), newListCmd(stdout), newReportCmd(stdout), newHeapCmd(stdout), newVersionCmd(stdout), newWorkerCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			// Without a Run function cobra prints help and exits 0 for
			// "completion nosuch"; with one, it rejects the word.
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			c.Args = subcommandArgs
		}
	}
	return root
}

// subcommandArgs rejects a word that is not a subcommand of cmd, with a suggestion
// and the list of subcommands.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usagef("%s (commands: %s)", msg, strings.Join(names, ", "))
}
