package cli

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/weakscope/weakscope/report"
	"github.com/weakscope/weakscope/report/render"
	"github.com/weakscope/weakscope/scenario"
)

type listOptions struct {
	format string
}

func newListCmd(stdout io.Writer) *cobra.Command {
	opts := listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scenario catalogue: names, descriptions, variants and default parameters",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(stdout, opts)
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "table", "output format: table or json")
	completeFlags(cmd, map[string][]string{"format": {"table", "json"}})
	return cmd
}

// listEntry is one scenario in "weakscope list --format json".
type listEntry struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Variants    []string      `json:"variants"`
	Defaults    report.Params `json:"defaults"`
}

func runList(w io.Writer, opts listOptions) error {
	var entries []listEntry
	for _, s := range scenario.All() {
		entries = append(entries, listEntry{s.Name, s.Description, s.VariantNames(), s.Defaults})
	}
	switch opts.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	case "table":
		header := []string{"scenario", "variants", "defaults", "description"}
		var rows [][]string
		for _, e := range entries {
			rows = append(rows, []string{e.Name, strings.Join(e.Variants, ", "), e.Defaults.String(), e.Description})
		}
		align := []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft}
		// On a terminal, the descriptions wrap to fit it, then the
		// defaults and the variants.
		header, rows, _, _ = render.Fit(render.Width(w), header, rows, align, []int{3, 2, 1})
		t := tablewriter.NewTable(w,
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithHeaderAlignment(tw.AlignLeft),
			tablewriter.WithRowAlignment(tw.AlignLeft),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
		)
		t.Header(header)
		for _, row := range rows {
			if err := t.Append(row); err != nil {
				return err
			}
		}
		return t.Render()
	}
	return usagef("--format: unknown format %q (accepted: table, json)", opts.format)
}
