package main

import (
	"bufio"
	"bytes"
	"io"
	"reflect"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
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

// summarize writes the report of the file at path. The report is first
// built and rendered from the config alone, while HDF5 reads the weights'
// shapes; that text is written if the report from the file turns out the
// same (a layer whose weights the config does not imply, or weights that
// are not float32, make it differ), else the file's report is rendered.
func summarize(w io.Writer, path string, opt summary.Options, render func(io.Writer, *summary.Report) error) error {
	var early struct {
		r   *summary.Report
		out bytes.Buffer
	}
	f, err := h5model.OpenWith(path, h5model.OpenOptions{Parsed: func(m *model.Model, s *model.Shapes) {
		o := opt
		o.Shapes, o.FromConfig = s, true
		r, err := summary.Build(m, o)
		if err == nil && render(&early.out, r) == nil {
			early.r = r
		}
	}})
	if err != nil {
		return err
	}
	// The report needs nothing more from the file: HDF5 releases it while
	// the report is built.
	closed := make(chan struct{})
	go func() {
		f.Close()
		close(closed)
	}()
	defer func() { <-closed }()
	var r *summary.Report
	if f.WeightsOnly() {
		r = summary.BuildWeightsOnly(f.LayerNames, f.Groups)
	} else {
		opt.Shapes = f.Shapes
		if r, err = summary.Build(f.Model, opt); err != nil {
			return fileErr(path, err)
		}
	}
	if early.r != nil && reflect.DeepEqual(early.r, r) {
		_, err = w.Write(early.out.Bytes())
		return err
	}
	return render(w, r)
}
