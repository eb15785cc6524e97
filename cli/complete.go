package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/report/render"
	"github.com/weakscope/weakscope/scenario"
)

// completeScenarios offers the registered scenarios not yet on the
// command line, with their descriptions, for run and check.
func completeScenarios(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, s := range scenario.All() {
		if strings.HasPrefix(s.Name, toComplete) && !slices.Contains(args, s.Name) {
			out = append(out, cobra.CompletionWithDesc(s.Name, s.Description))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFixed offers a fixed list of values for a flag.
func completeFixed(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// formatNames are the --format values of run and report.
func formatNames() []string {
	out := make([]string, len(render.Formats))
	for i, f := range render.Formats {
		out[i] = string(f)
	}
	return out
}

// completeFlags registers value completion for the flags of cmd that take
// one of a few words; unknown flag names are skipped.
func completeFlags(cmd *cobra.Command, values map[string][]string) {
	for flag, vs := range values {
		if cmd.Flags().Lookup(flag) != nil {
			_ = cmd.RegisterFlagCompletionFunc(flag, completeFixed(vs...))
		}
	}
}
