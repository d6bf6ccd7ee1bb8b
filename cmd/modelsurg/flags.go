package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/h5model"
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

// exactArgs is cobra.ExactArgs with a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// fileErr prefixes an error about a model with the file it came from.
func fileErr(path string, err error) error {
	return fmt.Errorf("%s: %w", path, err)
}

// openModel opens a model file for a surgery, which needs its config.
func openModel(path string) (*h5model.File, error) {
	f, err := h5model.Open(path)
	if err != nil {
		return nil, err
	}
	if f.WeightsOnly() {
		f.Close()
		return nil, fileErr(path, errors.New("a weights-only file has no model config to change"))
	}
	return f, nil
}

// surgeryErr names the file and passes on the surgery's hint.
func surgeryErr(path string, err error) error {
	if hint := surgery.HintOf(err); hint != "" {
		return hintError{fileErr(path, err), hint}
	}
	return fileErr(path, err)
}
