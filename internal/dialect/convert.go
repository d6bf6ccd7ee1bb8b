package dialect

import (
	"fmt"
	"sort"
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// Versions are the keras_version each dialect's output claims: the
// versions every rule was measured with.
var Versions = map[model.Dialect]string{model.Keras2: "2.21.0", model.Keras3: "3.15.1"}

// Rewrite is what Convert did under one rule (or one form of the dialect).
type Rewrite struct {
	Rule   string
	Layers []string // the layers it changed, in model order
	What   string   // e.g. `dropped DepthwiseConv2D "groups"`
}

// ConvertReport says what Convert did.
type ConvertReport struct {
	From, To model.Dialect
	Rewrites []Rewrite
	// Renamed maps each renamed layer to its new name.
	Renamed map[string]string
	// Warnings are the findings that still concern the target (a Lambda's
	// bytecode), as lines.
	Warnings []string
}

// ConvertError is a layer Convert cannot rewrite for the target Keras.
type ConvertError struct {
	Layer string
	In    []string
	Msg   string
}

func (e *ConvertError) Error() string {
	f := Finding{Layer: e.Layer, In: e.In, What: e.Msg}
	return f.Message()
}

// Convert returns m rewritten for Keras to: every form that Keras refuses
// rewritten by its rule (the config keys a class no longer takes dropped
// where they hold the value that changes nothing, "/" in layer names
// replaced), then the model written in to's dialect (model.InDialect). A
// form no rule rewrites (a TensorFlow op layer for Keras 3, a value that
// would change what the layer computes) is an error naming the layer. m is
// not modified; it is returned as it is when already in to's dialect.
func Convert(m *model.Model, to model.Dialect) (*model.Model, *ConvertReport, error) {
	rep := &ConvertReport{From: m.Dialect, To: to}
	if m.Dialect == to {
		return m, rep, nil
	}
	c := model.Clone(m)
	if err := rewriteLayers(c, to, rep); err != nil {
		return nil, nil, err
	}
	if to == model.Keras3 {
		if err := renameSlashes(c, rep); err != nil {
			return nil, nil, err
		}
	}
	out, n, err := model.InDialect(c, to)
	if err != nil {
		return nil, nil, err
	}
	if nested := Find("nested-node-offset").Detect(c); len(nested) > 0 {
		rep.add("nested-node-offset", findingLayers(nested), "numbered the calls of nested models from 0")
	}
	if n.Calls > 0 {
		form := "dict form with __keras_tensor__ arguments"
		if to == model.Keras2 {
			form = "list form"
		}
		rep.Rewrites = append(rep.Rewrites, Rewrite{Rule: "node-form", What: fmt.Sprintf("wrote %s in %s", count(n.Calls, "call"), form)})
	}
	if n.BatchShapes > 0 {
		rep.Rewrites = append(rep.Rewrites, Rewrite{Rule: "batch-shape", What: fmt.Sprintf("moved %s to %s", count(n.BatchShapes, "InputLayer batch shape"), batchKey(to))})
	}
	if n.DTypes > 0 {
		form := "DTypePolicy objects"
		if to == model.Keras2 {
			form = "names"
		}
		rep.Rewrites = append(rep.Rewrites, Rewrite{Rule: "dtype-policy", What: fmt.Sprintf("wrote %s as %s", count(n.DTypes, "dtype"), form)})
	}
	for _, f := range Detect(out) {
		if f.Keras != to && f.Keras != Any {
			continue
		}
		switch f.Severity {
		case Refuses:
			return nil, nil, &ConvertError{Layer: f.Layer, In: f.In, Msg: f.What + ": still there after converting (a modelsurg bug)"}
		case Warns:
			if Find(f.Rule).Differs {
				return nil, nil, &ConvertError{Layer: f.Layer, In: f.In, Msg: f.What + ": still there after converting (a modelsurg bug)"}
			}
			rep.Warnings = append(rep.Warnings, f.Message())
		}
	}
	return out, rep, nil
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func batchKey(d model.Dialect) string {
	if d == model.Keras3 {
		return "batch_shape"
	}
	return "batch_input_shape"
}

func (r *ConvertReport) add(rule string, layers []string, what string) {
	for i := range r.Rewrites {
		if r.Rewrites[i].Rule == rule && r.Rewrites[i].What == what {
			r.Rewrites[i].Layers = append(r.Rewrites[i].Layers, layers...)
			return
		}
	}
	r.Rewrites = append(r.Rewrites, Rewrite{Rule: rule, Layers: layers, What: what})
}

func findingLayers(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Layer
	}
	return out
}

// rewriteLayers applies, to every layer a rule about Keras to finds, that
// rule's rewrite; a refusal with no rewrite is an error.
func rewriteLayers(c *model.Model, to model.Dialect, rep *ConvertReport) error {
	var err error
	shapes := map[*model.Model]*model.Shapes{}
	shapesOf := func(m *model.Model) *model.Shapes {
		if s, ok := shapes[m]; ok {
			return s
		}
		s, _ := model.Infer(m) // inferred once, before any rewrite: a rewrite keeps every shape
		shapes[m] = s
		return s
	}
	walkIn(c, nil, func(m *model.Model, path []string, l *model.Layer) {
		for i := range Rules {
			r := &Rules[i]
			if err != nil || (r.Keras != to && r.Keras != Any) || (r.Severity != Refuses && !r.Differs) || r.Layer == nil || !r.AppliesTo(l.Class) {
				continue
			}
			what := r.Layer(l, c.Dialect)
			if what == "" {
				continue
			}
			fix := rewrites[r.Name]
			if mf := modelRewrites[r.Name]; mf != nil {
				fix = func(l *model.Layer) (string, error) { return mf(m, l, shapesOf(m)) }
			}
			if fix == nil {
				if handledByWriter[r.Name] {
					continue
				}
				err = &ConvertError{Layer: l.Name, In: path, Msg: what + ": convert cannot rewrite it exactly"}
				return
			}
			done, ferr := fix(l)
			if ferr != nil {
				err = &ConvertError{Layer: l.Name, In: path, Msg: ferr.Error()}
				return
			}
			rep.add(r.Name, []string{l.Name}, done)
		}
	})
	return err
}

// walkIn calls fn for every layer of m and of the models nested in it,
// with the model that holds it and the path of nested models above it.
func walkIn(m *model.Model, path []string, fn func(m *model.Model, path []string, l *model.Layer)) {
	for _, l := range m.Layers {
		fn(m, path, l)
		if l.Sub != nil {
			walkIn(l.Sub, append(path[:len(path):len(path)], l.Name), fn)
		}
	}
}

// modelRewrites are the per-layer fixes that change the layer's calls in
// its model (m, with the shapes inferred before any rewrite), by rule name.
var modelRewrites = map[string]func(m *model.Model, l *model.Layer, s *model.Shapes) (string, error){
	"tfoplambda":           rewriteTFOp,
	"keras3-helper-layers": rewriteHelper,
	"merge-constant": func(m *model.Model, l *model.Layer, _ *model.Shapes) (string, error) {
		return mergeToTFOp(m, l)
	},
}

// handledByWriter are the rules model.InDialect's writing removes, or
// that need the whole model (renameSlashes).
var handledByWriter = map[string]bool{"slash-in-names": true, "batch-shape": true, "dtype-policy": true}

// renameSlashes gives every layer whose name holds "/" the name with "_",
// kept unique, with its weights and every reference (model.RenameAll).
func renameSlashes(c *model.Model, rep *ConvertReport) error {
	taken := c.AllNames()
	plan := map[string]string{}
	var order []string
	c.Walk(func(_ []string, l *model.Layer) {
		if strings.Contains(l.Name, "/") {
			n := c.UniqueName(strings.ReplaceAll(l.Name, "/", "_"), taken)
			taken[n] = true
			plan[l.Name] = n
			order = append(order, l.Name)
		}
	})
	if len(plan) == 0 {
		return nil
	}
	if err := c.RenameAll(plan); err != nil {
		return err
	}
	rep.Renamed = plan
	rep.add("slash-in-names", order, `renamed layers: "/" -> "_"`)
	return nil
}

// rewrites are the per-layer fixes, by rule name: each returns what it did.
var rewrites = map[string]func(l *model.Layer) (string, error){
	"depthwise-groups":   dropKeys(map[string]string{"groups": "1"}),
	"lambda-keras3-form": keras3Lambda,
	"separable-kernel-args": dropKeys(map[string]string{
		"groups": "1", "kernel_initializer": "*", "kernel_regularizer": "*", "kernel_constraint": "*"}),
	"rnn-time-major":   dropKeys(map[string]string{"time_major": "false"}),
	"mha-build-shapes": dropKeys(map[string]string{"query_shape": "*", "key_shape": "*", "value_shape": "*", "softmax_robust_masking": "false"}),
	"attention-score-dot": func(l *model.Layer) (string, error) {
		l.SetModule("keras.layers")
		return `gave Attention its "module" (Keras 3 then reads score_mode "dot" as a name)`, nil
	},
	"rnn-seed": dropKeys(map[string]string{"seed": "*"}),
	"leaky-relu-slope": func(l *model.Layer) (string, error) {
		eachConfig(l, func(c *jsonx.Obj) {
			if c.Has("negative_slope") && !c.Has("alpha") {
				c.Rename("negative_slope", "alpha")
			}
		})
		return "renamed LeakyReLU negative_slope to alpha", nil
	},
	"mha-query-shape": func(l *model.Layer) (string, error) {
		for _, k := range []string{"query_shape", "key_shape", "value_shape"} {
			l.Config.Set(k, jsonx.NullV())
		}
		return "wrote MultiHeadAttention query_shape, key_shape, value_shape as null (tf-keras builds it on its call)", nil
	},
	"keras3-config-keys": dropKeys(map[string]string{"quantization_config": "null", "rms_scaling": "false", "use_gate": "false",
		"sliding_window": "null", "flash_attention": "null", "seed": "*"}),
	"initializer-axes": func(l *model.Layer) (string, error) {
		var err error
		eachConfig(l, func(c *jsonx.Obj) {
			for i, k := range c.Keys {
				if !strings.HasSuffix(k, "_initializer") || c.Vals[i].Kind != jsonx.Object {
					continue
				}
				if ic := c.Vals[i].Obj.Object("config"); ic != nil && err == nil {
					err = dropIf(ic, map[string]string{"input_axes": "null", "output_axes": "null"}, k)
				}
			}
		})
		return "dropped initializers' input_axes / output_axes (null)", err
	},
}

// dropKeys deletes the keys from a layer's config and its wrapped layers'
// where they hold the value given ("*": any; they are unused), and refuses
// any other value: it would change what the layer computes.
func dropKeys(keys map[string]string) func(l *model.Layer) (string, error) {
	return func(l *model.Layer) (string, error) {
		var err error
		var dropped []string
		eachConfig(l, func(c *jsonx.Obj) {
			for _, k := range sortedKeys(keys) {
				if c.Has(k) && err == nil {
					dropped = append(dropped, k)
				}
			}
			if err == nil {
				err = dropIf(c, keys, "")
			}
		})
		return fmt.Sprintf("dropped %s %s", l.Class, strings.Join(dedupe(dropped), ", ")), err
	}
}

func dropIf(c *jsonx.Obj, keys map[string]string, where string) error {
	for _, k := range sortedKeys(keys) {
		v := c.Get(k)
		if v == nil {
			continue
		}
		if want := keys[k]; want != "*" && string(jsonx.Marshal(v)) != want {
			if where != "" {
				k = where + "." + k
			}
			return fmt.Errorf("%s is %s, which the other Keras cannot express", k, jsonx.Marshal(v))
		}
		c.Delete(k)
	}
	return nil
}

// eachConfig calls fn on a layer's config and on those of the layers a
// wrapper holds (TimeDistributed, Bidirectional).
func eachConfig(l *model.Layer, fn func(*jsonx.Obj)) {
	if l.Config == nil {
		return
	}
	fn(l.Config)
	for _, k := range []string{"layer", "forward_layer", "backward_layer"} {
		if in := l.Config.Object(k); in != nil {
			if c := in.Object("config"); c != nil {
				fn(c)
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func init() {
	for i := range Rules {
		n := Rules[i].Name
		Rules[i].FixReady = Rules[i].Fix != "" && (rewrites[n] != nil || handledByWriter[n] || n == "nested-node-offset" || modelRewrites[n] != nil)
	}
}
