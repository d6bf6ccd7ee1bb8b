package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

const replaceHeadHelp = `replace-head keeps the model up to one layer (the cut) and puts a new
classifier head on that layer's output:

  pooling (--pooling) -> Dense+ReLU per --hidden size -> Dropout (--dropout)
  -> Dense(N, --activation) named --name

Every layer the cut does not need is removed with its weights. The cut
layer is --cut-at, or by default the end of the backbone, found from the
graph: walking back from the output, the first layer whose output still
has spatial dimensions (rank 3 or more), e.g. conv5_block3_out in ResNet50,
block5_pool in VGG16, out_relu in MobileNetV2. A model without top (its
output already spatial) gets the head on its output and loses nothing.
Where no feature map ends the backbone (an MLP, an RNN, branches merged
into one vector), the cut is the input of the final Dense classifier
(past its activation and dropout), as timm's reset_classifier takes it,
and no pooling is added.
The chosen layer is printed on stderr once the file is written. A model
with several outputs needs --cut-at; the result has one output.

--pooling avg and max add GlobalAveragePooling or GlobalMaxPooling (1D, 2D
or 3D after the backbone's rank, in its data_format); flatten adds Flatten;
none adds nothing and needs a flat (rank 2) output.

New layers are configured as the model's Keras writes them, with names
that do not clash with kept layers. New kernels are Glorot-uniform and
biases zero, as Keras initialises them, drawn from --seed: the same command
writes the same bytes. Kept weights are copied bit for bit.
--freeze-base marks every kept layer trainable: false, as layer.trainable
= False does in Keras. The output has no optimizer state and no
training_config: compile it again for the new head.`

func newReplaceHeadCmd() *cobra.Command {
	var (
		out     outFlags
		spec    surgery.HeadSpec
		pooling string
		hidden  string
		seed    uint64
	)
	cmd := &cobra.Command{
		Use:   "replace-head MODEL.h5 --classes N -o OUT.h5",
		Short: "Cut the classifier off and add a new head with N classes",
		Long:  replaceHeadHelp,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if cmd.Flags().Changed("pooling") {
				spec.Pooling = surgery.Pooling(pooling)
			}
			spec.Seed = seed
			if !cmd.Flags().Changed("classes") {
				return usagef("missing --classes N")
			}
			var err error
			if spec.Hidden, err = parseSizes(hidden); err != nil {
				return err
			}
			if err := spec.Check(); err != nil {
				return surgeryErr(args[0], err)
			}
			return operate(cmd, args[0], &out, h5model.SaveOptions{DropTrainingConfig: true},
				func(m *model.Model) (*model.Model, *surgery.HeadReport, error) { return surgery.ReplaceHead(m, spec) },
				func(f *h5model.File, rep *surgery.HeadReport) {
					printHeadReport(cmd.ErrOrStderr(), rep, f.HasTrainingConfig)
				})
		},
	}
	out.register(cmd)
	fl := cmd.Flags()
	fl.IntVar(&spec.Classes, "classes", 0, "number of classes: units of the final Dense layer (required)")
	fl.StringVar(&spec.CutAt, "cut-at", "", "layer whose output feeds the head (default: the end of the backbone)")
	fl.StringVar(&pooling, "pooling", "avg", "flatten, avg, max or none (default none after a flat classifier input)")
	fl.Float64Var(&spec.Dropout, "dropout", 0, "rate of a Dropout layer before the final Dense (0: none)")
	fl.StringVar(&hidden, "hidden", "", "sizes of Dense+ReLU layers before the final Dense, e.g. 256,128")
	fl.StringVar(&spec.Activation, "activation", "softmax", "activation of the final Dense: softmax, sigmoid or linear")
	fl.StringVar(&spec.Name, "name", "", `name of the final Dense layer (default "predictions", made unique)`)
	fl.Uint64Var(&seed, "seed", surgery.DefaultSeed, "seed of the new weights (default 0)")
	fl.BoolVar(&spec.FreezeBase, "freeze-base", false, "mark every kept layer trainable: false")
	return cmd
}

// parseSizes reads --hidden: comma-separated positive integers.
func parseSizes(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, usagef("--hidden: %q is not a size (comma-separated positive integers, e.g. 256,128)", part)
		}
		out = append(out, n)
	}
	return out, nil
}

func printHeadReport(w io.Writer, rep *surgery.HeadReport, hadTraining bool) {
	switch {
	case rep.NothingCut && len(rep.Removed) == 0:
		fmt.Fprintf(w, "modelsurg: the model ends at layer %q %s: adding the head there, nothing cut\n", rep.Cut, rep.CutShape)
	case rep.NothingCut:
		fmt.Fprintf(w, "modelsurg: the model ends at layer %q %s: adding the head there\n", rep.Cut, rep.CutShape)
	default:
		fmt.Fprintf(w, "modelsurg: cutting at layer %q %s\n", rep.Cut, rep.CutShape)
	}
	if len(rep.Removed) > 0 {
		fmt.Fprintf(w, "modelsurg: removed %d %s: %s\n", len(rep.Removed), headPlural(len(rep.Removed), "layer"), headNames(rep.Removed))
	}
	if len(rep.DroppedInputs) > 0 {
		fmt.Fprintf(w, "modelsurg: dropped %s no longer used: %s\n", headPlural(len(rep.DroppedInputs), "input"), headNames(rep.DroppedInputs))
	}
	parts := make([]string, len(rep.Added))
	for i, l := range rep.Added {
		parts[i] = fmt.Sprintf("%s (%s) %s", l.Name, l.Class, l.Shape)
	}
	fmt.Fprintf(w, "modelsurg: new head: %s; %s new params\n", strings.Join(parts, ", "), headThousands(rep.Params()))
	if rep.Frozen > 0 {
		fmt.Fprintf(w, "modelsurg: froze %d %s\n", rep.Frozen, headPlural(rep.Frozen, "layer"))
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "modelsurg: warning: %s\n", surgery.FillFields(warn, flagName))
	}
	if hadTraining {
		fmt.Fprintln(w, "modelsurg: training_config dropped: compile the model again for the new head")
	}
}

func headPlural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func headNames(names []string) string {
	const maxNames = 8
	if len(names) > maxNames {
		return strings.Join(names[:maxNames], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-maxNames)
	}
	return strings.Join(names, ", ")
}

func headThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
