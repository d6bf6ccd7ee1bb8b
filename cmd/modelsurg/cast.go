package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/dialect"
	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func newCastCmd() *cobra.Command {
	var (
		out  outFlags
		spec surgery.CastSpec
	)
	cmd := &cobra.Command{
		Use:   "cast MODEL.h5 --dtype float16|bfloat16|float32 -o OUT.h5",
		Short: "Store the weights as float16 (or bfloat16, float32) and set the layers' dtype policy",
		Long: `cast stores every float32 and float16 weight as --dtype, rounded to nearest
even as numpy's astype rounds, and gives every layer but the inputs the dtype
policy --policy (by default the dtype itself; mixed_float16 or mixed_bfloat16
keep float32 variables and compute in the narrow type), so that Keras builds
variables that hold exactly the stored values. float16 halves the file.

BatchNormalization layers keep their float32 weights unless --all: Keras 3
gives them the mixed policy (float32 variables), tf-keras the same policy
(it keeps a float16 batch norm's variables float32 itself). Weights of other
dtypes (float64, integers) are kept as they are.

bfloat16 weights load only from .keras files (neither Keras reads them back
from .h5), so --dtype bfloat16 needs OUT.keras.

Example:
  modelsurg cast resnet50.h5 --dtype float16 -o resnet50_fp16.h5`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if err := spec.Check(); err != nil {
				return surgeryErr(args[0], err)
			}
			if spec.DType == "bfloat16" && !strings.HasSuffix(out.path, ".keras") {
				return usagef("--dtype bfloat16: Keras loads bfloat16 weights only from .keras files (tf-keras and Keras 3 both fail on the .h5 they write); write -o OUT.keras")
			}
			f, err := openModel(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			// converted first: Cast sets the policies the target Keras reads
			src, err := out.convert(cmd.ErrOrStderr(), args[0], f.Model)
			if err != nil {
				return err
			}
			m, rep, err := surgery.Cast(src, spec)
			if err != nil {
				return surgeryErr(args[0], err)
			}
			opt := h5model.SaveOptions{Force: out.force}
			if src != f.Model {
				opt.KerasVersion = dialect.Versions[m.Dialect]
			}
			if err := modelfile.Save(out.path, f, m, opt); err != nil {
				return err
			}
			printCastReport(cmd.ErrOrStderr(), rep, spec)
			return nil
		},
	}
	out.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&spec.DType, "dtype", "", "store the weights as float16, bfloat16 or float32 (required)")
	fl.StringVar(&spec.Policy, "policy", "", "the layers' dtype policy: float16, bfloat16, float32, mixed_float16, mixed_bfloat16 (default: --dtype)")
	fl.BoolVar(&spec.All, "all", false, "cast BatchNormalization layers too")
	return cmd
}

func printCastReport(w io.Writer, rep *surgery.CastReport, spec surgery.CastSpec) {
	policy := spec.Policy
	if policy == "" {
		policy = spec.DType
	}
	fmt.Fprintf(w, "modelsurg: cast %d %s to %s; %d %s get the %s policy\n",
		rep.Weights, headPlural(rep.Weights, "weight"), spec.DType, rep.Layers, headPlural(rep.Layers, "layer"), policy)
	if rep.Kept > 0 {
		fmt.Fprintf(w, "modelsurg: %d BatchNormalization %s kept float32 weights (--all casts them too)\n", rep.Kept, headPlural(rep.Kept, "layer"))
	}
	fmt.Fprintf(w, "modelsurg: weights %s -> %s bytes\n", headThousands(rep.Before), headThousands(rep.After))
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "modelsurg: warning: %s\n", surgery.FillFields(warn, flagName))
	}
}
