package main

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/dialect"
	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
)

func newConvertCmd() *cobra.Command {
	var out outFlags
	cmd := &cobra.Command{
		Use:   "convert MODEL.h5 --to keras3|keras2 -o OUT.h5|OUT.keras",
		Short: "Rewrite a model for the other Keras: Keras 2 (tf-keras) to Keras 3, or back",
		Long: `convert rewrites a model's config for the Keras --to names, so that it loads
there: every form that Keras refuses is rewritten by a named rule (the same
rules modelsurg check reports), then the config is written in that Keras's
dialect: calls as list entries or as {"args", "kwargs"} with __keras_tensor__
objects, a nested model's calls numbered as that Keras numbers them,
batch_input_shape or batch_shape, dtypes as names or DTypePolicy objects.
Each rewrite is printed with the layers it changed.

To Keras 3: "/" in layer names becomes "_" (weights and references follow),
and config keys Keras 3 no longer takes are dropped where they hold the value
that changes nothing (DepthwiseConv2D groups 1, SeparableConv2D kernel_*, RNN
time_major false, MultiHeadAttention build shapes). TensorFlow op layers and
tf-keras's keras.applications helper layers (LayerScale, CustomScaleLayer,
StochasticDepth) become the built-in layers that compute the same. To Keras 2:
Keras 3's quantization_config (null), rms_scaling (false) and initializer axes
(null) are dropped, a Lambda is written in tf-keras's form, and a merge layer
called on a constant becomes a TensorFlow op layer. A layer no rule can rewrite
exactly (an op with no built-in equivalent, a value that would change what the
layer computes) is refused by name; nothing is written.

Weights are copied bit for bit. The output's container follows its name:
.keras for Keras 3's archive, else .h5. A Keras 2 output cannot be .keras.

Example:
  modelsurg convert densenet121_tf_keras.h5 --to keras3 -o densenet121.keras`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			target, _ := out.target()
			if target < 0 {
				return usagef("missing --to keras3 or --to keras2")
			}
			f, err := openModel(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			m, rep, err := dialect.Convert(f.Model, target)
			if err != nil {
				var ce *dialect.ConvertError
				if errors.As(err, &ce) {
					return hintError{fileErr(args[0], err), "modelsurg check " + args[0] + " lists every form and what fixes it"}
				}
				return fileErr(args[0], err)
			}
			opt := h5model.SaveOptions{Force: out.force}
			if m != f.Model {
				opt.KerasVersion = dialect.Versions[target]
			}
			if err := modelfile.Save(out.path, f, m, opt); err != nil {
				return err
			}
			printConvertReport(cmd.ErrOrStderr(), rep)
			return nil
		},
	}
	out.register(cmd)
	cmd.Flags().Lookup("to").Usage = "the Keras to write for: keras3 or keras2 (required)"
	return cmd
}

func printConvertReport(w io.Writer, rep *dialect.ConvertReport) {
	if rep.From == rep.To {
		fmt.Fprintf(w, "modelsurg: the model is already in the %s dialect: written as it is\n", rep.To)
		return
	}
	fmt.Fprintf(w, "modelsurg: converted from %s to %s\n", rep.From, rep.To)
	for _, r := range rep.Rewrites {
		line := fmt.Sprintf("modelsurg: %s: %s", r.Rule, r.What)
		if n := len(r.Layers); n > 0 {
			line += fmt.Sprintf(" on %d %s: %s", n, headPlural(n, "layer"), headNames(r.Layers))
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Renamed) > 0 {
		old := make([]string, 0, len(rep.Renamed))
		for k := range rep.Renamed {
			old = append(old, k)
		}
		sort.Strings(old)
		for _, k := range old {
			fmt.Fprintf(w, "modelsurg: renamed %q -> %q\n", k, rep.Renamed[k])
		}
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "modelsurg: warning: %s\n", warn)
	}
}
