// Package modelfile opens and saves Keras models whatever their
// container: an HDF5 .h5 file or a Keras 3 .keras zip archive, told apart
// by their first bytes, never by the name. The output's container follows
// its extension: .keras writes a .keras archive, anything else .h5.
package modelfile

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/kerasfile"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/summary"
)

// Open reads a model file for a surgery, as h5model.Open reads one.
func Open(path string) (*h5model.File, error) { return open(path, true) }

// OpenConfig reads a model file for a summary, as h5model.OpenConfig
// does; a .keras archive's weights shapes are read too (no data).
func OpenConfig(path string) (*h5model.File, error) { return open(path, false) }

func open(path string, check bool) (*h5model.File, error) {
	zip, err := isZip(path)
	if err != nil || !zip {
		if check {
			return h5model.Open(path)
		}
		return h5model.OpenConfig(path)
	}
	a, err := kerasfile.Open(path)
	if err != nil {
		return nil, err
	}
	return h5model.OpenKeras3(h5model.Keras3Source{
		Path: path, Offset: a.WeightsOffset, Size: a.WeightsSize,
		Config: a.Config, KerasVersion: a.KerasVersion, DateSaved: a.DateSaved,
	}, check)
}

func isZip(path string) (bool, error) {
	fh, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	return kerasfile.IsZip(fh), nil
}

// IsKerasPath reports an output path that gets a .keras archive.
func IsKerasPath(path string) bool { return strings.HasSuffix(strings.ToLower(path), ".keras") }

// Save writes m, read from src, to path in the container its extension
// names (see h5model.Save and h5model.SaveKeras3). For a .keras output
// the config keeps src's compile_config only when m is src's own model
// and opt keeps the training config; a surgery's output has none.
func Save(path string, src *h5model.File, m *model.Model, opt h5model.SaveOptions) error {
	if !IsKerasPath(path) {
		return h5model.Save(path, src, m, opt)
	}
	if m == nil {
		return fmt.Errorf("%s: a weights-only file has no model config to save as .keras", src.Path)
	}
	meta, cfg, err := kerasParts(src, m, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", src.Path, err)
	}
	return h5model.SaveKeras3(path, src, m, meta, cfg, opt)
}

// Copy writes src again without its optimizer state (and, with
// DropTrainingConfig, its compile arguments): h5model.Copy when the
// output is .h5, the same model as a .keras archive otherwise.
func Copy(path string, src *h5model.File, opt h5model.SaveOptions) error {
	if !IsKerasPath(path) {
		return h5model.Copy(path, src, opt)
	}
	return Save(path, src, src.Model, opt)
}

func kerasParts(src *h5model.File, m *model.Model, opt h5model.SaveOptions) (meta, cfg []byte, err error) {
	srcCfg, version, date := src.Keras3Config()
	if !src.IsKeras3() {
		version = src.KerasVersion
	}
	if opt.KerasVersion != "" {
		version = opt.KerasVersion
	}
	if m.Dialect != model.Keras3 || !strings.HasPrefix(version, "3") && version != "" {
		return nil, nil, errors.New("a Keras 2 model cannot be saved as .keras (Keras 3's format); write an .h5 file")
	}
	if version == "" {
		version = "3"
	}
	surgery := m != src.Model
	copt := kerasfile.ConfigOptions{DropBuild: surgery}
	base := srcCfg
	if surgery || base == nil {
		base = model.Marshal(m)
	}
	if src.IsKeras3() && !surgery && !opt.DropTrainingConfig {
		copt.Compile = kerasfile.CompileConfig(srcCfg)
	}
	if cfg, err = kerasfile.Config(base, copt); err != nil {
		return nil, nil, err
	}
	return kerasfile.Metadata(version, date), cfg, nil
}

// Summary is the summary report of the file at path, built from its
// config as Keras builds one: the only weights read are those of the
// layers whose parameters the config cannot give (and every weight of a
// weights-only file). Errors name the file.
func Summary(path string, opt summary.Options) (*summary.Report, error) {
	f, err := OpenConfig(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.WeightsOnly() {
		return summary.BuildWeightsOnly(f.LayerNames, f.Groups), nil
	}
	opt.Shapes = f.Shapes
	opt.Weights = func(l *model.Layer) ([]*model.Weight, error) { return f.ReadGroup(l.Name) }
	r, err := summary.Build(f.Model, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
