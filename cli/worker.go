package cli

import (
	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/scenario"
)

// newWorkerCmd is the hidden command that names a worker in a process
// list. A worker's job is served before the command line is parsed (Run
// calls scenario.HandleWorker first), so this runs only when someone types
// it.
func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    scenario.WorkerArg,
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("%s is started by weakscope run and check in each child process, not by hand", scenario.WorkerArg)
		},
	}
}
