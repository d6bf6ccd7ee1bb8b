package main

import (
	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/summary"
)

func newSummaryCmd() *cobra.Command {
	var (
		text   summary.TextOptions
		expand bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "summary MODEL.h5",
		Short: "Print the model's summary as Keras's model.summary() does, or as JSON",
		Long: `summary prints one row per layer - name (type), output shape, parameter count
and, for non-Sequential models, the layers it is connected to - then the total,
trainable and non-trainable parameter counts, as Keras's model.summary() does.
Shapes are inferred from the config; counts come from the saved weights' shapes
(no weight data is read) and are checked against the config. A layer whose
output shape cannot be inferred (Lambda, custom classes) shows "?".
--format json prints the same as one JSON object for scripts.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--format must be text or json, not %q", format)
			}
			if text.First < 0 || text.Last < 0 {
				return usagef("--first and --last take a number >= 0")
			}
			f, err := h5model.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			var r *summary.Report
			if f.WeightsOnly() {
				r = summary.BuildWeightsOnly(f.LayerNames, f.Groups)
			} else if r, err = summary.Build(f.Model, summary.Options{ExpandNested: expand}); err != nil {
				return fileErr(args[0], err)
			}
			if format == "json" {
				return r.JSON(cmd.OutOrStdout())
			}
			return r.Text(cmd.OutOrStdout(), text)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&text.First, "first", 0, "show only the first N layers (with --last: both ends)")
	fl.IntVar(&text.Last, "last", 0, "show only the last N layers")
	fl.BoolVar(&expand, "expand-nested", false, "also list the layers inside nested models")
	fl.BoolVar(&text.ShowTrainable, "trainable", false, "add a Trainable column")
	fl.StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
