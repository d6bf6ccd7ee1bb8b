package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func newFreezeCmd() *cobra.Command {
	var (
		out  outFlags
		spec surgery.FreezeSpec
	)
	cmd := &cobra.Command{
		Use:   "freeze MODEL.h5 [--until LAYER] [--layers REGEX] -o OUT.h5",
		Short: "Mark layers trainable: false (or true with --unfreeze)",
		Long: `freeze sets the trainable flag of layers as layer.trainable = False does in
Keras: every layer by default, --until LAYER for that layer and every layer it
depends on, --layers REGEX for the layers (nested ones too) whose names the
regular expression matches anywhere (anchor it with ^ and $); with both, the
layers both choose. A nested model chosen has every layer inside it chosen.
--unfreeze sets trainable: true instead. --except-batchnorm leaves
BatchNormalization layers as they are (a nested model holding one keeps its
own flag and its other layers change). The layers a layer wraps
(TimeDistributed, Bidirectional) follow it, as in Keras.

Keras saves a nested model's weights trainable first: where the flags change
that order, the weights are reordered as Keras would save them. Weights are
copied bit for bit; training_config is kept. The Trainable / Non-trainable
totals printed are those of modelsurg summary and of Keras's model.summary().

Example:
  modelsurg freeze resnet50.h5 --until conv4_block6_out --except-batchnorm -o ft.h5`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if err := spec.Check(); err != nil {
				return surgeryErr(args[0], err)
			}
			return operate(cmd, args[0], &out, h5model.SaveOptions{},
				func(m *model.Model) (*model.Model, *surgery.FreezeReport, error) { return surgery.Freeze(m, spec) },
				func(_ *h5model.File, rep *surgery.FreezeReport) {
					printFreezeReport(cmd.ErrOrStderr(), rep, spec.Unfreeze)
				})
		},
	}
	out.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&spec.Until, "until", "", "choose this layer and every layer it depends on")
	fl.StringVar(&spec.Layers, "layers", "", "choose the layers whose names match this regular expression")
	fl.BoolVar(&spec.Unfreeze, "unfreeze", false, "set trainable: true instead of false")
	fl.BoolVar(&spec.ExceptBatchNorm, "except-batchnorm", false, "leave BatchNormalization layers as they are")
	return cmd
}

func printFreezeReport(w io.Writer, rep *surgery.FreezeReport, unfreeze bool) {
	verb := "froze"
	if unfreeze {
		verb = "unfroze"
	}
	n := len(rep.Changed)
	if n == 0 {
		fmt.Fprintf(w, "modelsurg: %s nothing: the %d %s chosen already were\n", verb, rep.Chosen, headPlural(rep.Chosen, "layer"))
	} else {
		fmt.Fprintf(w, "modelsurg: %s %d %s: %s\n", verb, n, headPlural(n, "layer"), headNames(rep.Changed))
	}
	fmt.Fprintf(w, "modelsurg: trainable params: %s, non-trainable params: %s\n",
		headThousands(rep.Params.Trainable), headThousands(rep.Params.NonTrainable))
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "modelsurg: warning: %s\n", surgery.FillFields(warn, flagName))
	}
}
