package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

// outFlags are the output options every writing command shares.
type outFlags struct {
	path  string
	force bool
}

func (o *outFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.path, "output", "o", "", "output .h5 file (required)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the output file if it exists")
}

func (o *outFlags) check() error {
	if o.path == "" {
		return usagef("missing -o OUT.h5")
	}
	return nil
}

// exactArgs is cobra.ExactArgs; newRoot makes its errors usage errors.
func exactArgs(n int) cobra.PositionalArgs { return cobra.ExactArgs(n) }

// fileErr prefixes an error about a model with the file it came from.
func fileErr(path string, err error) error {
	return fmt.Errorf("%s: %w", path, err)
}

// openModel opens a model file (.h5 or .keras, by content) for a
// surgery, which needs its config.
func openModel(path string) (*h5model.File, error) {
	f, err := modelfile.Open(path)
	if err != nil {
		return nil, err
	}
	if f.WeightsOnly() {
		f.Close()
		return nil, fileErr(path, errors.New("a weights-only file has no model config to change"))
	}
	return f, nil
}

// surgeryErr names the file, the spec fields as the flags that set them,
// and passes on the surgery's hint; a spec wrong whatever the model is a
// usage error.
func surgeryErr(path string, err error) error {
	var e *surgery.Error
	if !errors.As(err, &e) {
		return fileErr(path, err)
	}
	msg := errors.New(e.Text(flagName))
	if e.Usage {
		return usageError{msg}
	}
	if hint := e.HintText(flagName); hint != "" {
		return hintError{fileErr(path, msg), hint}
	}
	return fileErr(path, msg)
}

// flags names the spec fields of the surgery package as the flags that set them.
var flags = map[string]string{
	"Adapt": "--adapt-channels", "Activation": "--activation", "Classes": "--classes", "CutAt": "--cut-at",
	"Dropout": "--dropout", "Hidden": "--hidden", "Name": "--name", "Pooling": "--pooling",
	"Inputs": "--input", "Nest": "--nest", "Shape": "--shape",
	"Outputs":  "--output",
	"Map":      "--map",
	"MapFile":  "--map-file",
	"Prefix":   "--prefix",
	"Suffix":   "--suffix",
	"Sanitize": "--sanitize",
	"Until":    "--until",
	"Layers":   "--layers",
	"DType":    "--dtype",
	"Policy":   "--policy",
	"All":      "--all",
}

func flagName(field string) string {
	if f, ok := flags[field]; ok {
		return f
	}
	return field
}
