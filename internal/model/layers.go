// Per-layer shape inference and weight specs: what Keras computes when it
// calls or builds one layer, reproduced from the layer's config alone.
//
// Covered layer classes:
//   - input: InputLayer
//   - core: Dense, Embedding, Identity, Masking, Activation, Rescaling, Normalization,
//     CenterCrop, Resizing, TFOpLambda (tf-keras; elementwise ops only)
//   - convolution: Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose,
//     Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
//   - pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, GlobalAveragePooling1D/2D/3D,
//     GlobalMaxPooling1D/2D/3D (and their MaxPool/AvgPool aliases)
//   - reshaping: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D,
//     Cropping1D/2D/3D, UpSampling1D/2D/3D
//   - merging: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot
//   - normalization: BatchNormalization, LayerNormalization, GroupNormalization,
//     UnitNormalization
//   - activations: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax
//   - regularization: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
//     AlphaDropout, ActivityRegularization
//   - keras.applications helpers: LayerScale, StochasticDepth (ConvNeXt),
//     CustomScaleLayer (InceptionResNetV2)
//
// Any other class (Lambda, RNNs, custom layers, nested models) gives
// ErrUnknownLayer. (This comment is detached from the package clause on
// purpose: model.go holds the package doc.)

package model

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// ErrUnknownLayer: the class (or a config it needs) is not understood; the
// caller shows the shape as unknown.
var ErrUnknownLayer = errors.New("unknown layer class")

// ShapeError: the layer cannot be applied to these input shapes (window
// larger than input, dimension <= 0, Reshape target that does not fit,
// incompatible merge shapes, wrong rank, overflow...). Layer is filled by
// the caller.
type ShapeError struct{ Layer, Class, Msg string }

func (e *ShapeError) Error() string {
	switch {
	case e.Layer != "" && e.Class != "":
		return fmt.Sprintf("layer %q (%s): %s", e.Layer, e.Class, e.Msg)
	case e.Layer != "":
		return fmt.Sprintf("layer %q: %s", e.Layer, e.Msg)
	case e.Class != "":
		return e.Class + ": " + e.Msg
	}
	return e.Msg
}

// configError is a config value modelsurg does not understand (a missing
// key, a wrong type, an unknown mode). It matches ErrUnknownLayer.
type configError struct{ class, msg string }

func (e *configError) Error() string {
	return fmt.Sprintf("%s: %s: %s", ErrUnknownLayer, e.class, e.msg)
}
func (e *configError) Unwrap() error { return ErrUnknownLayer }

// WeightSpec is one weight a built layer holds. Shape has no batch dim; it
// is nil when it depends on an input whose shape is unknown.
type WeightSpec struct {
	Name      string
	Shape     Shape
	Trainable bool
}

// maxSize caps every dimension and every product of dimensions: beyond it
// float64 (Python's shape arithmetic in numpy, JSON readers) loses integers.
const maxSize = 1 << 53

// layerKind is how one class computes shapes and weights. infer only sees
// known input shapes; weights may see nil shapes (then input-dependent
// weight shapes are nil).
type layerKind struct {
	// nIn is the number of inputs: 1, 2 (exactly), 0 (InputLayer) or -1 (one or more).
	nIn     int
	infer   func(c *lcfg, in []Shape) (Shape, error)
	weights func(c *lcfg, in []Shape) ([]WeightSpec, error)
}

// prepare finds the layer kind and checks the inputs it is called on.
func prepare(class string, cfg *jsonx.Obj, in []Shape, d Dialect) (*layerKind, *lcfg, []Shape, error) {
	k, c, err := lookup(class, cfg, d)
	if err != nil {
		return nil, nil, nil, err
	}
	if k.nIn == 0 {
		in = nil
	}
	if err := c.checkInputs(k, in); err != nil {
		return nil, nil, nil, err
	}
	return k, c, in, nil
}

// InferLayer returns the output shapes (batch dim included) of one call of
// a layer, given the shapes of its flattened input tensors in call order.
// Unknown inputs (nil Shape) give unknown outputs (nil), never a guess.
func InferLayer(class string, cfg *jsonx.Obj, in []Shape, d Dialect) ([]Shape, error) {
	k, c, in, err := prepare(class, cfg, in, d)
	if err != nil {
		return nil, err
	}
	for _, s := range in {
		if s == nil {
			return []Shape{nil}, nil
		}
	}
	out, err := k.infer(c, in)
	if err != nil {
		return nil, err
	}
	if err := c.checkShape(out, "output"); err != nil {
		return nil, err
	}
	return []Shape{out}, nil
}

// LayerWeights returns the weights Keras creates when it builds this layer
// on inputs in, in the order Keras stores them (trainable ones in creation
// order, then non-trainable ones), with Keras's names for this dialect.
// Trainable is the class's own notion; the caller applies the layer's
// "trainable": false. When every input is known, an input the layer cannot
// be applied to gives the same error as InferLayer.
func LayerWeights(class string, cfg *jsonx.Obj, in []Shape, d Dialect) ([]WeightSpec, error) {
	k, c, in, err := prepare(class, cfg, in, d)
	if err != nil {
		return nil, err
	}
	known := true
	for _, s := range in {
		known = known && s != nil
	}
	if known {
		if _, err := k.infer(c, in); err != nil {
			return nil, err
		}
	}
	if k.weights == nil {
		return nil, nil
	}
	ws, err := k.weights(c, in)
	if err != nil {
		return nil, err
	}
	// Trainable weights first, each group in creation order.
	out := make([]WeightSpec, 0, len(ws))
	for _, w := range ws {
		if w.Trainable {
			out = append(out, w)
		}
	}
	for _, w := range ws {
		if !w.Trainable {
			out = append(out, w)
		}
	}
	total := 0
	for _, w := range out {
		if w.Shape == nil {
			continue
		}
		if err := c.checkShape(w.Shape, "weight "+w.Name); err != nil {
			return nil, err
		}
		n, err := c.prod(w.Shape...)
		if err != nil {
			return nil, err
		}
		if total, err = c.add(total, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func lookup(class string, cfg *jsonx.Obj, d Dialect) (*layerKind, *lcfg, error) {
	k := layerKinds[class]
	if k == nil {
		return nil, nil, fmt.Errorf("%w: %q", ErrUnknownLayer, class)
	}
	c := &lcfg{o: cfg, class: class, d: d}
	// Keras 1 configs use other keys (border_mode, dim_ordering "th", ...):
	// reading them with Keras 2 defaults would give wrong shapes.
	if cfg.Has("border_mode") || cfg.Has("dim_ordering") {
		return nil, nil, c.badf("keras 1 configs are not supported")
	}
	return k, c, nil
}

// checkInputs validates the number of inputs and every known input shape.
func (c *lcfg) checkInputs(k *layerKind, in []Shape) error {
	switch {
	case k.nIn == 0:
		// InputLayer: inputs are ignored.
	case k.nIn == -1 && len(in) == 0:
		return c.errf("expects at least 1 input, got none")
	case k.nIn > 0 && len(in) != k.nIn:
		return c.errf("expects %d input%s, got %d", k.nIn, plural(k.nIn), len(in))
	}
	for i, s := range in {
		if err := c.checkShape(s, fmt.Sprintf("input %d", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkShape rejects sizes other than None and 0..maxSize.
func (c *lcfg) checkShape(s Shape, what string) error {
	for _, d := range s {
		if d != None && (d < 0 || d > maxSize) {
			return c.errf("%s %s has an invalid dimension %d", what, s, d)
		}
	}
	return nil
}

// tupleString prints config integers as Python prints a tuple.
func tupleString(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.Itoa(x)
	}
	if len(v) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// lcfg reads one layer config.
type lcfg struct {
	o     *jsonx.Obj
	class string
	d     Dialect
}

func (c *lcfg) errf(format string, args ...any) error {
	return &ShapeError{Class: c.class, Msg: fmt.Sprintf(format, args...)}
}

func (c *lcfg) badf(format string, args ...any) error {
	return &configError{class: c.class, msg: fmt.Sprintf(format, args...)}
}

// number reads an integer config value, capped at ±maxSize.
func (c *lcfg) number(key string, v *jsonx.Value) (int, error) {
	if v == nil || v.Kind != jsonx.Number {
		return 0, c.badf("config %q is not an integer", key)
	}
	if f, ok := v.Float64(); ok && (f > maxSize || f < -maxSize) {
		return 0, c.errf("config %q is too large", key)
	}
	n, ok := v.Int()
	if !ok {
		return 0, c.badf("config %q is not an integer", key)
	}
	return int(n), nil
}

// integer reads key as an integer; a missing or null key gives def.
func (c *lcfg) integer(key string, def int) (int, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return def, nil
	}
	return c.number(key, v)
}

// required reads key as an integer that must be present.
func (c *lcfg) required(key string) (int, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return 0, c.badf("config %q is missing", key)
	}
	return c.number(key, v)
}

// positive reads a required integer that must be > 0.
func (c *lcfg) positive(key string) (int, error) {
	n, err := c.required(key)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, c.errf("%s must be positive, got %d", key, n)
	}
	return n, nil
}

// boolean reads key as a bool; missing or null gives def.
func (c *lcfg) boolean(key string, def bool) (bool, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return def, nil
	}
	if v.Kind != jsonx.Bool {
		return false, c.badf("config %q is not a boolean", key)
	}
	return v.B, nil
}

// str reads key as a string; missing or null gives def.
func (c *lcfg) str(key, def string) (string, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return def, nil
	}
	if v.Kind != jsonx.String {
		return "", c.badf("config %q is not a string", key)
	}
	return v.Str, nil
}

// ints reads key as a list of integers (a bare integer gives a
// one-element list). Missing or null gives nil, false.
func (c *lcfg) ints(key string) ([]int, bool, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return nil, false, nil
	}
	if v.Kind == jsonx.Number {
		n, err := c.number(key, v)
		return []int{n}, true, err
	}
	if v.Kind != jsonx.Array {
		return nil, false, c.badf("config %q is not an integer or a list of integers", key)
	}
	if len(v.Elems) > 64 {
		return nil, false, c.errf("config %q has too many entries", key)
	}
	out := make([]int, len(v.Elems))
	for i, e := range v.Elems {
		n, err := c.number(key, e)
		if err != nil {
			return nil, false, err
		}
		out[i] = n
	}
	return out, true, nil
}

// tuple reads an n-tuple of positive integers as Keras's
// standardize_tuple does: an integer is repeated n times. Missing or null
// gives def repeated.
func (c *lcfg) tuple(key string, n, def int) ([]int, error) {
	vals, ok, err := c.ints(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		if def <= 0 {
			return nil, c.badf("config %q is missing", key)
		}
		vals = []int{def}
	}
	if len(vals) == 1 && n > 1 {
		v := vals[0]
		vals = make([]int, n)
		for i := range vals {
			vals[i] = v
		}
	}
	if len(vals) != n {
		return nil, c.errf("%s must have %d value%s, got %d", key, n, plural(n), len(vals))
	}
	for _, v := range vals {
		if v <= 0 {
			return nil, c.errf("%s must be positive, got %s", key, tupleString(vals))
		}
	}
	return vals, nil
}

// channelsFirst reads data_format.
func (c *lcfg) channelsFirst() (bool, error) {
	f, err := c.str("data_format", "channels_last")
	if err != nil {
		return false, err
	}
	switch f {
	case "channels_last":
		return false, nil
	case "channels_first":
		return true, nil
	}
	return false, c.badf("unknown data_format %q", f)
}

// padding reads padding (valid, same, causal), lower-cased as Keras does.
func (c *lcfg) padding(causalOK bool) (string, error) {
	p, err := c.str("padding", "valid")
	if err != nil {
		return "", err
	}
	p = strings.ToLower(p)
	switch p {
	case "valid", "same":
		return p, nil
	case "causal":
		if causalOK {
			return p, nil
		}
		return "", c.errf("causal padding is not supported by %s", c.class)
	}
	return "", c.badf("unknown padding %q", p)
}

// mul multiplies two sizes (no None) with the maxSize cap.
func (c *lcfg) mul(a, b int) (int, error) {
	if a < 0 || b < 0 {
		return 0, c.errf("negative size")
	}
	if a != 0 && b > maxSize/a {
		return 0, c.errf("size %d x %d is too large", a, b)
	}
	return a * b, nil
}

// add adds two sizes (no None) with the maxSize cap.
func (c *lcfg) add(a, b int) (int, error) {
	if a < 0 || b < 0 || a > maxSize-b {
		return 0, c.errf("size %d + %d is out of range", a, b)
	}
	return a + b, nil
}

// prod multiplies sizes (no None).
func (c *lcfg) prod(dims ...int) (int, error) {
	p := 1
	for _, d := range dims {
		var err error
		if p, err = c.mul(p, d); err != nil {
			return 0, err
		}
	}
	return p, nil
}

// mulDim multiplies a dimension that may be None by a factor.
func (c *lcfg) mulDim(d, f int) (int, error) {
	if d == None {
		return None, nil
	}
	return c.mul(d, f)
}

// rank checks that s has exactly n dimensions.
func (c *lcfg) rank(s Shape, n int) error {
	if len(s) != n {
		return c.errf("expects inputs of rank %d, got %s", n, s)
	}
	return nil
}

// minRank checks that s has at least n dimensions.
func (c *lcfg) minRank(s Shape, n int) error {
	if len(s) < n {
		return c.errf("expects inputs of rank >= %d, got %s", n, s)
	}
	return nil
}

// axis normalizes a possibly negative axis for a shape of the given rank.
func (c *lcfg) axis(a, rank int) (int, error) {
	if a < -rank || a >= rank {
		return 0, c.errf("axis %d is out of range for rank %d", a, rank)
	}
	if a < 0 {
		a += rank
	}
	return a, nil
}

// known returns d or an error naming what must be defined.
func (c *lcfg) known(d int, what string, s Shape) (int, error) {
	if d == None {
		return 0, c.errf("the %s of the input %s must be defined", what, s)
	}
	return d, nil
}

// w builds a WeightSpec.
func w(name string, trainable bool, dims ...int) WeightSpec {
	return WeightSpec{Name: name, Shape: Shape(dims), Trainable: trainable}
}

// wUnknown builds a WeightSpec whose shape depends on an unknown input.
func wUnknown(name string, trainable bool) WeightSpec {
	return WeightSpec{Name: name, Trainable: trainable}
}

// layerKinds maps a config class_name to its rules.
var layerKinds = map[string]*layerKind{}

func register(k *layerKind, names ...string) {
	for _, n := range names {
		layerKinds[n] = k
	}
}

// layerClasses returns the class names InferLayer and LayerWeights know, sorted.
func layerClasses() []string {
	out := make([]string, 0, len(layerKinds))
	for n := range layerKinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
