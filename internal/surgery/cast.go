package surgery

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/numeric"
)

// CastSpec says what Cast stores the weights as and how Keras computes.
type CastSpec struct {
	// DType is what floating weights are stored as: float16, bfloat16 or
	// float32.
	DType string
	// Policy is the dtype policy the layers get (float16, bfloat16,
	// float32, mixed_float16, mixed_bfloat16); "" is DType's own.
	Policy string
	// All casts BatchNormalization layers too; without it they keep their
	// weights float32 and a policy whose variables are float32.
	All bool
}

// CastReport says what Cast did.
type CastReport struct {
	// Layers counts the layers given the policy, Weights the weights
	// converted, Kept the BatchNormalization layers that kept float32.
	Layers, Weights, Kept int
	// Before and After are the bytes of the weights' values.
	Before, After int64
	Warnings      []string
}

var policies = []string{"float16", "bfloat16", "float32", "mixed_float16", "mixed_bfloat16"}

// Check validates s: a known dtype and policy, and a policy whose variables
// hold the stored values exactly (float32 variables, or the dtype itself).
func (s CastSpec) Check() error {
	if !numeric.Known(s.DType) {
		return &Error{Field: "DType", Msg: fmt.Sprintf("%q is not one of %s", s.DType, strings.Join(numeric.Types, ", ")), Usage: true}
	}
	p := s.policy()
	known := false
	for _, q := range policies {
		known = known || q == p
	}
	if !known {
		return &Error{Field: "Policy", Msg: fmt.Sprintf("%q is not one of %s", p, strings.Join(policies, ", ")), Usage: true}
	}
	if v := variableDType(p); v != "float32" && v != s.DType {
		return &Error{Field: "Policy", Msg: fmt.Sprintf("a %s policy makes %s variables, which would round the %s weights again: use {Policy} mixed_%s, or {DType} %s", p, v, s.DType, v, v), Usage: true}
	}
	return nil
}

func (s CastSpec) policy() string {
	if s.Policy == "" {
		return s.DType
	}
	return s.Policy
}

// variableDType is the dtype of the variables a policy makes.
func variableDType(policy string) string {
	if strings.HasPrefix(policy, "mixed_") {
		return "float32"
	}
	return policy
}

// Cast returns m with its floating weights stored as spec.DType (rounded
// to nearest even, as numpy's astype rounds) and every layer but the
// inputs given spec's dtype policy, so that Keras builds variables that
// hold those values and computes in that policy. BatchNormalization
// layers keep their float32 weights unless spec.All: in Keras 3 their
// policy becomes the mixed one (float32 variables), in tf-keras the same
// policy (it keeps a float16 layer's batch-norm variables float32 itself).
// Weights of another dtype (float64, integers) are kept. m is not modified.
func Cast(m *model.Model, spec CastSpec) (_ *model.Model, _ *CastReport, err error) {
	defer asError(&err)
	if err := spec.Check(); err != nil {
		return nil, nil, err
	}
	c := model.Clone(m)
	k := &caster{spec: spec, m: c, rep: &CastReport{}, other: map[string]int{}}
	if err := k.layers(c); err != nil {
		return nil, nil, err
	}
	if k.noDType > 0 {
		k.rep.Warnings = append(k.rep.Warnings, fmt.Sprintf("%s write no dtype: Keras builds them in its default policy (float32)", plural(k.noDType, "layer")))
	}
	for _, dt := range slices.Sorted(maps.Keys(k.other)) {
		k.rep.Warnings = append(k.rep.Warnings, fmt.Sprintf("kept %d %s weights as they are (cast converts float32 and float16 ones)", k.other[dt], dt))
	}
	return c, k.rep, nil
}

type caster struct {
	spec    CastSpec
	m       *model.Model // the top-level model, for shapes
	rep     *CastReport
	noDType int
	other   map[string]int
	shapes  *model.Shapes
}

// layers sets the policy of every layer of m and, where m is the top
// level, casts their weights (a nested model's are its layer's).
func (k *caster) layers(m *model.Model) error {
	for _, l := range m.Layers {
		if l.Class == "InputLayer" {
			continue
		}
		if err := k.computes(l); err != nil {
			return err
		}
		if l.Sub != nil {
			if err := k.layers(l.Sub); err != nil {
				return err
			}
		} else {
			k.setPolicy(l)
		}
		if m != k.m {
			continue
		}
		keep, err := k.keep(l)
		if err != nil {
			return err
		}
		for i, w := range l.Weights {
			if !keep[i] {
				l.Weights[i] = k.cast(w)
			} else {
				k.count(w, w.DType)
			}
		}
	}
	return nil
}

// computes refuses a call Keras cannot compute in a narrow policy: a TF op
// whose first operand is a constant, which TensorFlow makes a float32
// tensor beside the float16 ones (the op fails when the model runs).
func (k *caster) computes(l *model.Layer) error {
	if k.spec.policy() == "float32" || (l.Class != "TFOpLambda" && l.Class != "SlicingOpLambda") {
		return nil
	}
	for _, n := range l.Nodes {
		if n.ConstantFirst() {
			return &Error{Layer: l.Name, Msg: fmt.Sprintf("its first operand is a constant, which TensorFlow makes float32 beside %s tensors: the op fails when Keras runs it", computeDType(k.spec.policy())),
				Hint: "keep float32 computation with {Policy} float32 (the weights are still stored as " + k.spec.DType + ")"}
		}
	}
	return nil
}

// computeDType is the dtype a policy computes in.
func computeDType(policy string) string { return strings.TrimPrefix(policy, "mixed_") }

func (k *caster) setPolicy(l *model.Layer) {
	p := k.spec.policy()
	if isBatchNorm(l) && !k.spec.All && k.spec.DType != "float32" {
		k.rep.Kept++
		if k.m.Dialect == model.Keras3 && !strings.HasPrefix(p, "mixed_") && p != "float32" {
			p = "mixed_" + p
		}
	}
	if !l.Config.Has("dtype") {
		k.noDType++
	} else {
		l.SetDTypePolicy(p, k.m.Dialect)
		k.rep.Layers++
	}
	model.SetWrappedDTypePolicy(l, p, k.m.Dialect)
}

// keep marks the weights of top-level layer l that stay as they are: a
// BatchNormalization layer's, also inside a nested model.
func (k *caster) keep(l *model.Layer) ([]bool, error) {
	keep := make([]bool, len(l.Weights))
	if k.spec.All {
		return keep, nil
	}
	if l.Sub == nil {
		for i := range keep {
			keep[i] = isBatchNorm(l)
		}
		return keep, nil
	}
	if !holdsBatchNorm(l.Sub) || len(l.Weights) == 0 {
		return keep, nil
	}
	var err error
	if k.shapes == nil {
		if k.shapes, err = model.Infer(k.m); err != nil {
			return nil, err
		}
	}
	infos, err := model.LayerWeightInfo(k.m, l, k.shapes)
	if err != nil || len(infos) != len(l.Weights) {
		return nil, &Error{Layer: l.Name, Msg: "modelsurg cannot tell which of this nested model's weights are its BatchNormalization layers'", Err: err,
			Hint: "cast them too with {All}"}
	}
	for i, in := range infos {
		keep[i] = isBatchNorm(in.Owner)
	}
	return keep, nil
}

// cast returns w stored as the spec's dtype, or w itself when it is not
// a float32 or float16 weight or already of that dtype.
func (k *caster) cast(w *model.Weight) *model.Weight {
	switch {
	case w.DType == k.spec.DType:
	case w.DType != "float32" && w.DType != "float16":
		k.other[w.DType]++
	default:
		k.rep.Weights++
		k.count(w, k.spec.DType)
		return &model.Weight{Name: w.Name, Shape: w.Shape, DType: k.spec.DType, Src: rounded{w.Src, k.spec.DType}}
	}
	k.count(w, w.DType)
	return w
}

// count adds w's bytes before and after (stored as dtype).
func (k *caster) count(w *model.Weight, dtype string) {
	k.rep.Before += w.Size() * itemSize(w.DType)
	k.rep.After += w.Size() * itemSize(dtype)
}

func itemSize(dtype string) int64 {
	switch dtype {
	case "float16", "bfloat16", "int16", "uint16":
		return 2
	case "float64", "int64", "uint64":
		return 8
	case "int8", "uint8", "bool":
		return 1
	}
	return 4
}

// rounded reads a weight's values rounded to a dtype.
type rounded struct {
	src   model.Source
	dtype string
}

func (r rounded) Float32() ([]float32, error) {
	v, err := r.src.Float32()
	if err != nil {
		return nil, err
	}
	return numeric.Round(v, r.dtype), nil
}
