package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/diff"
	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
)

// exitStatus ends a command with a status of its own and no error line:
// diff's 1 for "different". run returns it as it is.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// statusOf reports the status an exitStatus carries.
func statusOf(err error) (int, bool) {
	s, ok := err.(exitStatus)
	return int(s), ok
}

func newDiffCmd() *cobra.Command {
	var (
		format string
		opt    diff.Options
	)
	cmd := &cobra.Command{
		Use:   "diff A.h5 B.h5",
		Short: "Compare two model files: layers, configs and weights",
		Long: `diff compares two model files (.h5 or .keras, either Keras) layer by layer,
matched by name, and prints what differs:

  - removed / + added layers, ~ renamed ones (a layer only in A and one only
  in B with the same class, config and weights), * changed ones: config keys
  whose values differ and weights (by position in the layer) whose shape,
  dtype or values differ, with the largest absolute difference.

A last line gives the totals. Configs are compared without the layer's name
and without what only tells the dialects apart (module and registered_name
entries, Keras 3's DTypePolicy objects for dtype names, batch_shape for
batch_input_shape, keys one dialect writes as null and the other lacks), so
a file and its conversion to the other Keras diff equal but for the rewrites
the conversion made. Values are read in bounded chunks and compared bit for
bit as float64, or within --tolerance. A weights-only file is compared by
its layer groups and weights alone. Optimizer weights, training_config and
the wiring between layers are not compared.

Exit status: 0 when the files are equal, 1 when they differ, 2 on any error
(as diff and h5diff do; modelsurg's other commands exit 1 on bad input).
--format json prints the same as one JSON object.`,
		Example: `  modelsurg diff resnet50.h5 resnet50_128.h5
  modelsurg diff model.h5 model.keras --format json
  modelsurg diff before.h5 after.h5 --tolerance 1e-6 && echo same`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--format: %q is not text or json", format)
			}
			if opt.Tolerance < 0 || opt.Tolerance != opt.Tolerance {
				return usagef("--tolerance: %v is not a difference (0 or more)", opt.Tolerance)
			}
			// every error exits 2, as h5diff's do
			r, err := diffFiles(args[0], args[1], opt)
			if err != nil {
				return usageError{err}
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				err = r.JSON(w)
			} else {
				err = r.Text(w)
			}
			if err != nil {
				return usageError{err}
			}
			if !r.Equal() {
				return exitStatus(1)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "text", "output format: text or json")
	fl.Float64Var(&opt.Tolerance, "tolerance", 0, "largest absolute difference of two values counted as equal")
	return cmd
}

// diffFiles opens both files and compares them; when either is
// weights-only, both are compared by their saved groups.
func diffFiles(pa, pb string, opt diff.Options) (*diff.Report, error) {
	fa, err := modelfile.Open(pa)
	if err != nil {
		return nil, err
	}
	defer fa.Close()
	fb, err := modelfile.Open(pb)
	if err != nil {
		return nil, err
	}
	defer fb.Close()
	var a, b diff.Side
	if fa.WeightsOnly() || fb.WeightsOnly() {
		a, b = diff.FromGroups(pa, fa.LayerNames, fa.Groups), diff.FromGroups(pb, fb.LayerNames, fb.Groups)
	} else {
		a, b = diff.FromModel(pa, fa.Model), diff.FromModel(pb, fb.Model)
	}
	r, err := diff.Compare(a, b, h5model.ReadRows, opt)
	if err != nil {
		return nil, fmt.Errorf("%s, %s: %w", pa, pb, err)
	}
	return r, nil
}
