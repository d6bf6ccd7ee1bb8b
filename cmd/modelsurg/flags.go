package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/dialect"
	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/modelfile"
	"github.com/modelsurg/modelsurg/internal/surgery"
)

// outFlags are the output options every writing command shares.
type outFlags struct {
	path  string
	force bool
	to    string // "", keras3 or keras2
}

func (o *outFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.path, "output", "o", "", "output .h5 file (required)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the output file if it exists")
	cmd.Flags().StringVar(&o.to, "to", "", toUsage)
}

const toUsage = "write the output for keras3 or keras2, converted as modelsurg convert converts (default: the input's Keras)"

func (o *outFlags) check() error {
	if o.path == "" {
		return usagef("missing -o OUT.h5")
	}
	if _, err := o.target(); err != nil {
		return err
	}
	return nil
}

// target is the Keras --to names, or -1 without --to.
func (o *outFlags) target() (model.Dialect, error) {
	switch o.to {
	case "":
		return -1, nil
	case "keras3":
		return model.Keras3, nil
	case "keras2":
		if modelfile.IsKerasPath(o.path) {
			return -1, usagef("--to keras2: Keras 2 cannot read .keras archives; write -o OUT.h5")
		}
		return model.Keras2, nil
	}
	return -1, usagef("--to: want keras3 or keras2, not %q", o.to)
}

// convert returns m rewritten for the Keras --to names (m itself without
// --to), printing what was rewritten; errors name the input file.
func (o *outFlags) convert(w io.Writer, input string, m *model.Model) (*model.Model, error) {
	to, _ := o.target()
	if to < 0 {
		return m, nil
	}
	c, rep, err := dialect.Convert(m, to)
	if err != nil {
		var ce *dialect.ConvertError
		if errors.As(err, &ce) {
			return nil, hintError{fileErr(input, err), "modelsurg check " + input + " lists every form and what fixes it"}
		}
		return nil, fileErr(input, err)
	}
	if rep.From != rep.To {
		printConvertReport(w, rep)
	}
	return c, nil
}

// operate is the steps of every command that edits one model: open path,
// edit its model, save the result as out says, then report (a failed write
// reports only its error).
func operate[R any](cmd *cobra.Command, path string, out *outFlags, opt h5model.SaveOptions,
	edit func(*model.Model) (*model.Model, R, error), report func(f *h5model.File, rep R)) error {
	f, err := openModel(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, rep, err := edit(f.Model)
	if err != nil {
		return surgeryErr(path, err)
	}
	if err := out.save(cmd.ErrOrStderr(), f, m, opt); err != nil {
		return err
	}
	report(f, rep)
	return nil
}

// save writes m, read from f, to the output, converted for --to first.
func (o *outFlags) save(w io.Writer, f *h5model.File, m *model.Model, opt h5model.SaveOptions) error {
	c, err := o.convert(w, f.Path, m)
	if err != nil {
		return err
	}
	opt.Force = o.force
	if c != m {
		to, _ := o.target()
		opt.KerasVersion = dialect.Versions[to]
	}
	return modelfile.Save(o.path, f, c, opt)
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
