package main

import (
	"bufio"
	"io"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/modelfile"
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
Shapes and counts come from the config, as Keras builds the model from it; the
saved weights are read only for layers whose parameters the config cannot
give (Lambda, custom classes), from their shapes (no weight data is read),
and are not checked against the config. A layer whose output shape cannot be
inferred shows "?".
--format json prints the same as one JSON object for scripts.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--format must be text or json, not %q", format)
			}
			if text.First < 0 || text.Last < 0 {
				return usagef("--first and --last take a number >= 0")
			}
			render := func(w io.Writer, r *summary.Report) error {
				if format == "json" {
					return r.JSON(w)
				}
				return r.Text(w, text)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			err := summarize(out, args[0], summary.Options{ExpandNested: expand}, render)
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			return err
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

// summarize renders the summary report of the file at path (modelfile.Summary).
func summarize(w io.Writer, path string, opt summary.Options, render func(io.Writer, *summary.Report) error) error {
	r, err := modelfile.Summary(path, opt)
	if err != nil {
		return err
	}
	return render(w, r)
}
