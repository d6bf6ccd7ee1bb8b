package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func newTransferCmd() *cobra.Command {
	var (
		out  outFlags
		maps []string
	)
	cmd := &cobra.Command{
		Use:   "transfer-weights FROM.h5 TO.h5 -o OUT.h5",
		Short: "Copy FROM's weights into TO's layers of the same name",
		Long: `transfer-weights writes TO again with the weights of FROM wherever a layer
of TO has the name of one of FROM's (or the name --map gives it), as Keras's
model.load_weights(FROM, by_name=True, skip_mismatch=True) does on TO:

  - weights go by position inside the layer (trainable ones first, as Keras
    saves them);
  - a layer whose number of weights differs is skipped whole, a weight whose
    shape (or dtype) differs is skipped alone: one line on stderr each, and
    a count;
  - layers of TO that FROM lacks keep their own weights, and are named.

The everyday case: a fine-tuned model with its own head gets the backbone
weights of a newer pretrained file. FROM may be a weights-only file (such
as keras.applications' *_weights_tf_dim_ordering_tf_kernels.h5) or a model
of either Keras; the output is TO's config in TO's dialect, with every
weight copied bit for bit from the file it comes from. --map SRC=DST sends
FROM's layer SRC to TO's layer DST (repeat it, or separate pairs by commas).
It fails (exit 1) when no weight at all is copied, and writes nothing then.
Unlike Keras it converts no weight while loading: a file written by Keras 1
is refused, and a conv kernel saved in Theano's layout or cuDNN RNN weights,
which Keras would convert, are skipped as mismatched.`,
		Example: `  modelsurg transfer-weights imagenet_v2.h5 finetuned.h5 -o finetuned_v2.h5
  modelsurg transfer-weights old.h5 new.h5 --map fc1=dense,fc2=dense_1 -o out.h5`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			spec, err := parseTransferMaps(maps)
			if err != nil {
				return err
			}
			if same, _ := sameFile(out.path, args[0]); same {
				return fileErr(out.path, errors.New("output is the FROM file"))
			}
			from, err := modelfile.Open(args[0])
			if err != nil {
				return err
			}
			defer from.Close()
			if strings.HasPrefix(from.KerasVersion, "1.") {
				// Keras converts a Keras 1 file's weights as it loads them
				return fileErr(args[0], errors.New("written by Keras "+from.KerasVersion+", whose weights Keras converts as it loads them: load it in Keras 2 and save it again first"))
			}
			to, err := openModel(args[1])
			if err != nil {
				return err
			}
			defer to.Close()
			groups := make([]surgery.Group, len(from.LayerNames))
			for i, n := range from.LayerNames {
				groups[i] = surgery.Group{Name: n, Weights: from.Groups[n]}
			}
			m, rep, err := surgery.Transfer(groups, to.Model, spec)
			if err != nil {
				return surgeryErr(args[0], err)
			}
			if err := out.save(cmd.ErrOrStderr(), to, m, h5model.SaveOptions{}); err != nil {
				return err
			}
			printTransferReport(cmd.ErrOrStderr(), rep)
			return nil
		},
	}
	out.register(cmd)
	cmd.Flags().StringSliceVar(&maps, "map", nil, "SRC=DST: FROM's layer SRC goes to TO's layer DST (repeatable)")
	return cmd
}

// parseTransferMaps reads the --map pairs.
func parseTransferMaps(pairs []string) (surgery.TransferSpec, error) {
	spec := surgery.TransferSpec{Map: map[string]string{}}
	for _, p := range pairs {
		src, dst, ok := strings.Cut(p, "=")
		if !ok || src == "" || dst == "" {
			return spec, usagef("--map: %q is not SRC=DST (FROM's layer = TO's layer)", p)
		}
		if _, dup := spec.Map[src]; dup {
			return spec, usagef("--map: layer %q is mapped twice", src)
		}
		spec.Map[src] = dst
	}
	return spec, nil
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

func printTransferReport(w io.Writer, rep *surgery.TransferReport) {
	for _, s := range rep.Skipped {
		if s.Weight == "" {
			fmt.Fprintf(w, "modelsurg: skipped layer %q: %s\n", s.Layer, s.Msg)
		} else {
			fmt.Fprintf(w, "modelsurg: skipped weight %q of layer %q: %s\n", s.Weight, s.Layer, s.Msg)
		}
	}
	fmt.Fprintf(w, "modelsurg: copied %d %s into %d %s; %d skipped\n", rep.Copied, headPlural(rep.Copied, "weight"),
		rep.Layers, headPlural(rep.Layers, "layer"), len(rep.Skipped))
	if n := len(rep.Unmatched); n > 0 {
		fmt.Fprintf(w, "modelsurg: kept the own weights of %d %s FROM lacks: %s\n", n, headPlural(n, "layer"), headNames(rep.Unmatched))
	}
}
