package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

func newReshapeCmd() *cobra.Command {
	var (
		out    outFlags
		shape  string
		inputs []string
		nest   bool
		adapt  string
	)
	cmd := &cobra.Command{
		Use:   "reshape-input MODEL.h5 --shape 128,128,3 -o OUT.h5",
		Short: "Give the model a new input shape, keeping its weights",
		Long: `reshape-input sets the input shape (without the batch dimension, which stays
None; None leaves a dimension free) and re-infers every shape after it.
Weights are copied bit for bit. A model with several inputs names each one
to change with --input NAME=SHAPE.

It refuses, naming the layer and both sizes, when a kept weight or layer
cannot work at the new shape: a Dense after a Flatten whose size changes
(cut such a head with replace-head), a Reshape that no longer fits, a window
larger than its input, a Lambda or custom layer whose input changes.

Layer configs are kept as stored. Where a keras.applications model computed
a ZeroPadding2D from its input size (correct_pad: MobileNetV2, EfficientNet),
a warning names the layers where Keras, building for the new size, would
compute another padding.

--nest writes Keras's Model(new_input, model(new_input)): a new input and the
reshaped model as one nested layer, without training_config (a Keras 2
Sequential is nested as a Functional model, which Keras 3 also loads).

A new channel count (last dimension) needs --adapt-channels, which adapts
the first convolutions as timm's adapt_input_conv does: sum or mean over the
input channels (1 channel), or repeat them cyclically scaled by C/N (N
channels). Per-channel Normalization, BatchNormalization and Rescaling
values before them are averaged (1 channel) or repeated.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			spec, err := reshapeSpec(shape, inputs, adapt)
			if err != nil {
				return err
			}
			spec.Nest = nest
			spec.Read = h5model.ReadFloat32
			return operate(cmd, args[0], &out, h5model.SaveOptions{DropTrainingConfig: nest},
				func(m *model.Model) (*model.Model, []surgery.Warning, error) { return surgery.ReshapeInput(m, spec) },
				func(_ *h5model.File, warns []surgery.Warning) {
					for _, w := range warns {
						fmt.Fprintf(cmd.ErrOrStderr(), "modelsurg: warning: %s\n", oneLine(surgery.FillFields(w.String(), flagName)))
					}
				})
		},
	}
	out.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&shape, "shape", "", "new input shape without the batch dimension, e.g. 128,128,3 or None,None,3")
	fl.StringArrayVar(&inputs, "input", nil, "new shape of one input, NAME=SHAPE (repeatable; for models with several inputs)")
	fl.BoolVar(&nest, "nest", false, "nest the model as one layer called on a new input")
	fl.StringVar(&adapt, "adapt-channels", "", "adapt the weights reading the input channels to a new count: sum, mean or repeat")
	return cmd
}

// reshapeSpec checks the flags and turns them into a spec.
func reshapeSpec(shape string, inputs []string, adapt string) (surgery.ReshapeSpec, error) {
	var spec surgery.ReshapeSpec
	switch {
	case shape != "" && len(inputs) > 0:
		return spec, usagef("give --shape or --input, not both")
	case shape == "" && len(inputs) == 0:
		return spec, usagef("missing --shape SHAPE (or --input NAME=SHAPE for each input to change)")
	case shape != "":
		s, err := parseShape(shape)
		if err != nil {
			return spec, usagef("--shape: %v", err)
		}
		spec.Shape = s
	}
	seen := map[string]bool{}
	for _, in := range inputs {
		i := strings.LastIndexByte(in, '=')
		if i <= 0 {
			return spec, usagef("--input %q: want NAME=SHAPE, e.g. image=128,128,3", in)
		}
		name := in[:i]
		if seen[name] {
			return spec, usagef("--input: %q is given twice", name)
		}
		seen[name] = true
		s, err := parseShape(in[i+1:])
		if err != nil {
			return spec, usagef("--input %s: %v", name, err)
		}
		spec.Inputs = append(spec.Inputs, surgery.NamedShape{Name: name, Shape: s})
	}
	if adapt != "" {
		mode, err := surgery.ParseAdaptMode(adapt)
		if err != nil {
			return spec, usagef("--adapt-channels: %v", err)
		}
		spec.Adapt = mode
	}
	return spec, nil
}

// maxDim bounds a dimension given on the command line.
const maxDim = 1 << 31

// parseShape reads "128,128,3", "None,None,3" or "none,none,3": positive
// integers or None, comma-separated, without the batch dimension.
func parseShape(s string) (model.Shape, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty shape (want e.g. 128,128,3)")
	}
	var out model.Shape
	for _, part := range strings.Split(s, ",") {
		p := strings.TrimSpace(part)
		switch {
		case p == "None" || p == "none":
			out = append(out, model.None)
			continue
		case p == "":
			return nil, fmt.Errorf("%q has an empty dimension (want e.g. 128,128,3)", s)
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return nil, fmt.Errorf("%q: dimension %q is not a positive integer or None", s, p)
			}
		}
		n, err := strconv.Atoi(p)
		if err != nil || n > maxDim {
			return nil, fmt.Errorf("%q: dimension %q is too large", s, p)
		}
		if n == 0 {
			return nil, fmt.Errorf("%q: dimension 0 is not allowed (sizes are positive, or None)", s)
		}
		out = append(out, n)
	}
	return out, nil
}
