package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func newExtractCmd() *cobra.Command {
	var (
		out  outFlags
		spec surgery.ExtractSpec
	)
	cmd := &cobra.Command{
		Use:   "extract MODEL.h5 --output LAYER[,LAYER...] -o OUT.h5",
		Short: "Keep the sub-model from the inputs to the outputs of named layers",
		Long: `extract writes the sub-model that computes the outputs of the named layers,
as Keras's Model(model.inputs, [model.get_layer(name).output, ...]) builds it
(timm's features_only): the outputs are the layers' outputs, in the order
given (every output tensor of a layer with several), and every layer and
weight they do not need is removed. Inputs they do not need are dropped.
Kept weights are copied bit for bit.

--input LAYER[,LAYER...] cuts below too: each named layer's output becomes a
new input (an InputLayer of that output's shape, named LAYER_input), and the
layers only it needed are removed. An InputLayer named there stays an input.
Every input the outputs still need must be named; the new model's inputs are
in the order given.

Here -o is --out: --output names layers. Layers must be of the model itself
(get_layer does not reach into nested models) and called once. The output
has no training_config: compile it again.

Example:
  modelsurg extract resnet50.h5 --output conv3_block4_out,conv4_block6_out -o features.h5
  modelsurg extract resnet50.h5 --input conv4_block6_out --output predictions -o top.h5`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			for _, names := range [][]string{spec.Outputs, spec.Inputs} {
				for i := range names {
					names[i] = strings.TrimSpace(names[i])
				}
			}
			if err := spec.Check(); err != nil {
				return surgeryErr(args[0], err)
			}
			return operate(cmd, args[0], &out, h5model.SaveOptions{DropTrainingConfig: true},
				func(m *model.Model) (*model.Model, *surgery.ExtractReport, error) { return surgery.Extract(m, spec) },
				func(f *h5model.File, rep *surgery.ExtractReport) {
					printExtractReport(cmd.ErrOrStderr(), rep, f.HasTrainingConfig)
				})
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out.path, "out", "o", "", "output .h5 file (required)")
	fl.BoolVar(&out.force, "force", false, "replace the output file if it exists")
	fl.StringVar(&out.to, "to", "", toUsage)
	fl.StringSliceVar(&spec.Outputs, "output", nil, "layers whose outputs become the model's outputs, in order (required; repeatable)")
	fl.StringSliceVar(&spec.Inputs, "input", nil, "layers whose outputs become the model's inputs, in order (default: the model's own)")
	return cmd
}

func printExtractReport(w io.Writer, rep *surgery.ExtractReport, hadTraining bool) {
	for _, in := range rep.NewInputs {
		fmt.Fprintf(w, "modelsurg: new input %s %s\n", in.Name, in.Shape)
	}
	if len(rep.Inputs) > 0 {
		fmt.Fprintf(w, "modelsurg: inputs: %s; outputs: %s\n", strings.Join(rep.Inputs, ", "), strings.Join(rep.Outputs, ", "))
	} else {
		fmt.Fprintf(w, "modelsurg: outputs: %s\n", strings.Join(rep.Outputs, ", "))
	}
	if len(rep.Removed) > 0 {
		fmt.Fprintf(w, "modelsurg: removed %d %s: %s\n", len(rep.Removed), headPlural(len(rep.Removed), "layer"), headNames(rep.Removed))
	}
	if len(rep.DroppedInputs) > 0 {
		fmt.Fprintf(w, "modelsurg: dropped %s no longer used: %s\n", headPlural(len(rep.DroppedInputs), "input"), headNames(rep.DroppedInputs))
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "modelsurg: warning: %s\n", surgery.FillFields(warn, flagName))
	}
	if hadTraining {
		fmt.Fprintln(w, "modelsurg: training_config dropped: compile the model again")
	}
}
