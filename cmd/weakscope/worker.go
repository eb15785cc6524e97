package main

import (
	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/scenario"
)

// newWorkerCmd is the hidden command a run starts in each child process:
// it reads one job on stdin and writes the result to the pipe on fd 3.
func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    scenario.WorkerArg,
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := scenario.WorkerOutput()
			if err != nil {
				return usagef("%v", err)
			}
			defer out.Close()
			return scenario.ServeWorker(cmd.Context(), cmd.InOrStdin(), out)
		},
	}
}
