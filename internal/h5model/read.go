// Package h5model converts Keras .h5 files to and from model.Model. It
// reads the config and the weights' shapes, never the weight data: weights
// stay references into the source file until Save copies them file to file.
// All cgo lives here.
package h5model

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/hdf5"

	"github.com/modelsurg/modelsurg/internal/model"
)

var (
	// ErrNotHDF5 is returned for a file that is not HDF5 at all.
	ErrNotHDF5 = errors.New("not an HDF5 file")
	// ErrNotKeras is returned for an HDF5 file that holds no Keras model or weights.
	ErrNotKeras = errors.New("not a Keras model file (no model_config and no layer_names)")
)

// File is an open Keras .h5 file.
type File struct {
	Path string
	f    hid // the open HDF5 file
	// Model is the parsed model_config; nil for a weights-only file.
	Model *model.Model
	// Shapes are Model's shapes, inferred when the file was opened; they
	// describe Model as read, not once edited.
	Shapes *model.Shapes
	// KerasVersion is the root keras_version attribute ("" if absent).
	KerasVersion string
	// LayerNames is the saved layer_names list, in file order, and Groups
	// maps each entry to its weights as saved. OpenConfig reads neither
	// for a model file.
	LayerNames []string
	Groups     map[string][]*model.Weight
	// HasTrainingConfig and HasOptimizer report what the file carries.
	HasTrainingConfig, HasOptimizer bool
	weightsRoot                     string // "model_weights", or "" (the root) for weights-only files
	// spanOff and spanSize locate an HDF5 file stored inside another
	// (model.weights.h5 in a .keras zip); spanSize is 0 for a plain file.
	spanOff, spanSize int64
	// keras3 holds what a .keras archive adds (nil for an .h5 file).
	keras3 *keras3Info
}

// src locates one weight dataset in a source file.
type src struct {
	file  *File
	group string // layer group under the weights root
	path  string // dataset path relative to the group
	n     int64  // number of values
	// bf16 marks a bfloat16 variable of a .keras file: 2-byte opaque
	// values, the upper halves of float32s, which HDF5 cannot convert.
	bf16 bool
}

// Float32 reads the dataset's values.
func (s *src) Float32() ([]float32, error) {
	leave := enter()
	defer leave()
	g, err := layerGroup(s.file, s.group)
	if err != nil {
		return nil, err
	}
	defer closeGroup(g)
	if s.bf16 {
		return readBFloat16(g, s.path, s.n)
	}
	return readFloat32(g, s.path, s.n)
}

// WeightsOnly reports a weights-only file (keras.applications layout).
func (f *File) WeightsOnly() bool { return f.Model == nil }

// Open reads the structure of a Keras .h5 file for a surgery: config,
// layer names and every weight's shape, checked against the config.
// Errors name the file.
func Open(path string) (*File, error) { return open(path, true) }

// OpenConfig reads what a summary needs: the root attributes and the
// model_config, parsed, with its shapes inferred. It reads no weights of
// a model file (LayerNames and Groups stay empty: ReadGroup reads one
// layer's when asked) and does not check them against the config; a
// weights-only file has nothing else, so its weights are read as Open
// reads them. Its File is for reading: Save needs a File from Open.
func OpenConfig(path string) (*File, error) { return open(path, false) }

func open(path string, weights bool) (*File, error) {
	leave := enter()
	defer leave()
	if err := checkReadable(path); err != nil {
		return nil, err
	}
	if !hdf5.IsHDF5(path) {
		if isZip(path) {
			return nil, fmt.Errorf("%s: %w (a zip archive: a Keras 3 .keras file? modelsurg reads .h5 files)", path, ErrNotHDF5)
		}
		return nil, fmt.Errorf("%s: %w", path, ErrNotHDF5)
	}
	hf, err := openFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open HDF5 file (truncated or damaged?)", path)
	}
	f := &File{Path: path, f: hf}
	if err := f.read(weights); err != nil {
		closeFile(hf)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if weights && f.Model != nil {
		if err := checkWeights(f.Model, f.Shapes); err != nil {
			closeFile(hf)
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return f, nil
}

// isZip reports a file that starts as a zip archive does.
func isZip(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	var b [4]byte
	_, err = io.ReadFull(fh, b[:])
	return err == nil && string(b[:]) == "PK\x03\x04"
}

// checkWeights refuses a model whose saved weights contradict its config
// (another count or shape, a layer without its weights), as summary does:
// Keras could not load it, and no command should pass it on. Layers whose
// weights modelsurg cannot derive (Lambda, custom classes) are not checked.
func checkWeights(m *model.Model, s *model.Shapes) error {
	for _, l := range m.Unplaced() {
		if len(l.Weights) > 0 {
			return fmt.Errorf("layer %q (%s): not connected to the model's outputs; Keras would drop it and its %d weights, and so would every command", l.Name, l.Class, len(l.Weights))
		}
	}
	for _, l := range m.Layers {
		if _, err := model.LayerParams(m, l, s); err != nil {
			return err
		}
	}
	return nil
}

func checkReadable(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: %w", path, pe.Err)
		}
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s: is a directory", path)
	}
	if st.Size() == 0 {
		return fmt.Errorf("%s: %w (empty file)", path, ErrNotHDF5)
	}
	return nil
}

// Close releases the file.
func (f *File) Close() error {
	leave := enter()
	defer leave()
	return closeFile(f.f)
}

func (f *File) root() hid { return f.f }

// read reads the root attributes and the config, and the weights' shapes
// if weights is set or the file is weights-only.
func (f *File) read(weights bool) error {
	names, err := attrNames(f.root())
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	if has["keras_version"] {
		if v, _, err := readStrings(f.root(), "keras_version"); err == nil && len(v) == 1 {
			f.KerasVersion = v[0]
		}
	}
	f.HasTrainingConfig = has["training_config"]
	f.HasOptimizer = objKind(f.root(), "optimizer_weights") == kindGroup
	switch {
	case has["model_config"]:
		return f.readModel(weights)
	case has["layer_names"] || has["layer_names0"]:
		f.weightsRoot = ""
	default:
		return ErrNotKeras
	}
	return f.readWeights()
}

// readModel parses the model_config and infers its shapes; with weights,
// it reads the weights' shapes and gives each layer its own. A config
// that parses but whose shapes do not infer is reported last, as the
// file's other faults come first.
func (f *File) readModel(weights bool) error {
	cfg, scalar, err := readStrings(f.root(), "model_config")
	if err != nil || !scalar || len(cfg) != 1 {
		return errors.New("model_config is not a string attribute")
	}
	m, err := model.Parse(cfg[0], dialectOf(f.KerasVersion, cfg[0]))
	if err != nil {
		return err
	}
	if objKind(f.root(), "model_weights") != kindGroup {
		return errors.New("model_config present but no model_weights group")
	}
	f.weightsRoot = "model_weights"
	if weights {
		if err := f.readWeights(); err != nil {
			return err
		}
	}
	s, badCfg := model.Infer(m)
	f.Model, f.Shapes = m, s
	if weights {
		if err := f.bindWeights(); err != nil {
			return err
		}
	}
	return badCfg
}

// dialectOf decides the config dialect: the writer's keras_version, or the
// config's own markers when the version is missing.
func dialectOf(version, cfg string) model.Dialect {
	if version != "" {
		if strings.HasPrefix(version, "3") {
			return model.Keras3
		}
		return model.Keras2
	}
	if strings.Contains(cfg, `"__keras_tensor__"`) || strings.Contains(cfg, `"batch_shape"`) {
		return model.Keras3
	}
	return model.Keras2
}

func (f *File) weightsGroup() (hid, func(), error) {
	if f.weightsRoot == "" {
		return f.root(), func() {}, nil
	}
	g, err := openGroup(f.root(), f.weightsRoot)
	if err != nil {
		return -1, nil, err
	}
	return g, func() { closeGroup(g) }, nil
}

func (f *File) readWeights() error {
	wg, closeWG, err := f.weightsGroup()
	if err != nil {
		return err
	}
	defer closeWG()
	names, err := readChunked(wg, "layer_names")
	if err != nil {
		return err
	}
	f.LayerNames = names
	f.Groups = map[string][]*model.Weight{}
	for _, name := range names {
		if _, dup := f.Groups[name]; dup {
			return fmt.Errorf("layer_names lists %q twice", name)
		}
		ws, err := f.readGroup(wg, name)
		if err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
		f.Groups[name] = ws
	}
	return nil
}

// bindWeights gives each layer of the model its saved weights.
func (f *File) bindWeights() error {
	for _, l := range f.Model.Layers {
		if ws, ok := f.Groups[l.Name]; ok {
			l.Weights = ws
		}
	}
	for _, name := range f.LayerNames {
		if len(f.Groups[name]) > 0 && f.Model.Layer(name) == nil {
			return fmt.Errorf("layer %q: weights are saved for it but the model has no such layer", name)
		}
	}
	return nil
}

// ReadGroup returns the weights saved for the layer name (names, shapes
// and dtypes, no data): those Open read, or for a File from OpenConfig,
// read now from the layer's group. A layer that layer_names does not list
// has none, as Keras loads them.
func (f *File) ReadGroup(name string) ([]*model.Weight, error) {
	if err := f.ReadArchiveWeights(); err != nil {
		return nil, err
	}
	if f.Groups != nil {
		return f.Groups[name], nil
	}
	leave := enter()
	defer leave()
	wg, closeWG, err := f.weightsGroup()
	if err != nil {
		return nil, err
	}
	defer closeWG()
	ws, err := f.readGroup(wg, name)
	if errors.Is(err, errNoGroup) {
		if f.LayerNames == nil {
			if f.LayerNames, err = readChunked(wg, "layer_names"); err != nil {
				return nil, err
			}
		}
		if !slices.Contains(f.LayerNames, name) {
			return nil, nil
		}
		err = errNoGroup
	}
	if err != nil {
		return nil, fmt.Errorf("layer %q: %w", name, err)
	}
	return ws, nil
}

var errNoGroup = errors.New("layer_names lists it but the file has no weights group for it")

func (f *File) readGroup(wg hid, name string) ([]*model.Weight, error) {
	g, err := openGroup(wg, name)
	if err != nil {
		// checked only on failure, as below
		if objKind(wg, name) != kindGroup {
			return nil, errNoGroup
		}
		return nil, err
	}
	defer closeGroup(g)
	wnames, err := readChunked(g, "weight_names")
	if err != nil {
		return nil, err
	}
	infos, ok := datasetsInfo(g, wnames...)
	ws := make([]*model.Weight, 0, len(wnames))
	for i, wn := range wnames {
		if !ok[i] {
			// checked only on failure: the lookup costs as much as the read
			if objKind(g, wn) != kindDataset {
				return nil, fmt.Errorf("weight %q is listed in weight_names but missing", wn)
			}
			return nil, fmt.Errorf("cannot read dataset %q", wn)
		}
		if !isNumeric(infos[i].dtype) {
			return nil, fmt.Errorf("weight %q holds %s values, not numbers", wn, infos[i].dtype)
		}
		ws = append(ws, &model.Weight{Name: wn, Shape: infos[i].shape, DType: infos[i].dtype, Src: &src{file: f, group: name, path: wn, n: size(infos[i].shape)}})
	}
	return ws, nil
}

// isNumeric accepts the dtypes Keras saves weights in: floats, and the
// integers of counters and seeds (Normalization's count is int64).
func isNumeric(dtype string) bool {
	return dtype == "bfloat16" || strings.HasPrefix(dtype, "float") || strings.HasPrefix(dtype, "int") || strings.HasPrefix(dtype, "uint")
}

// layerGroup opens the weights group of a layer; closeGroup closes it.
func layerGroup(f *File, name string) (hid, error) {
	path := name
	if f.weightsRoot != "" {
		path = f.weightsRoot + "/" + name
	}
	return openGroup(f.root(), path)
}

// readChunked reads a list attribute that Keras may split into name0,
// name1, ... when it is too large for one object header. A missing
// attribute or an empty numeric array (Keras's "no weights") is empty.
func readChunked(loc hid, name string) ([]string, error) {
	if attrExists(loc, name) {
		return readList(loc, name)
	}
	var out []string
	for i := 0; attrExists(loc, name+strconv.Itoa(i)); i++ {
		part, err := readList(loc, name+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

func readList(loc hid, name string) ([]string, error) {
	v, _, err := readStrings(loc, name)
	var ns errNotString
	if errors.As(err, &ns) {
		if ns.n == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("attribute %q is not a list of strings", name)
	}
	return v, err
}
