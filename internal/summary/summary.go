// Package summary builds Keras's model.summary() for a model: one row per
// layer with its output shape, parameter count and connections, and the
// total, trainable and non-trainable counts, as a table or as JSON.
package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Row is one layer of the summary.
type Row struct {
	Name  string `json:"name"`
	Class string `json:"class"`
	// Outputs are the shapes of the layer's first call; nil when unknown.
	Outputs   []model.Shape `json:"-"`
	Params    int64         `json:"params"`
	Trainable bool          `json:"trainable"`
	// Inbound lists every connection of the layer's calls, as Keras
	// prints them: "layer[node][tensor]".
	Inbound []string `json:"inbound"`
	// Depth is 0 for the model's own layers, 1 inside a nested model, ...
	Depth int `json:"depth,omitempty"`
}

// Report is the summary of one model.
type Report struct {
	Name         string `json:"name"`
	Class        string `json:"class"`
	Rows         []Row  `json:"layers"`
	Total        int64  `json:"total_params"`
	Trainable    int64  `json:"trainable_params"`
	NonTrainable int64  `json:"non_trainable_params"`
	// TrainableBytes and NonTrainableBytes are the memory the weights
	// take, each in its own dtype, as Keras sizes them.
	TrainableBytes, NonTrainableBytes int64 `json:"-"`
	// WeightsOnly marks a report built from a weights-only file.
	WeightsOnly bool `json:"weights_only,omitempty"`
	// Sequential reports a Sequential model (no "Connected to" column).
	Sequential bool `json:"-"`
}

// Options select what Build includes.
type Options struct {
	// ExpandNested adds the layers inside nested models after their row.
	ExpandNested bool
	// Shapes, if set, are the model's shapes already inferred (as
	// h5model.OpenConfig does); otherwise Build infers them.
	Shapes *model.Shapes
	// Weights returns the weights saved for a layer of the model, for the
	// layers whose parameters the config cannot give (Lambda, custom
	// classes) or whose dtypes it cannot tell (float16 policies). Build
	// asks for no other layer's. Nil takes the layer's own Weights.
	Weights func(l *model.Layer) ([]*model.Weight, error)
}

// Build summarises m as Keras does, from its config: shapes are inferred
// and parameter counts derived from the layers' configs, except where
// only the saved weights can say (see Options.Weights).
func Build(m *model.Model, opt Options) (*Report, error) {
	shapes := opt.Shapes
	if shapes == nil {
		var err error
		if shapes, err = model.Infer(m); err != nil {
			return nil, err
		}
	}
	if opt.Weights == nil {
		opt.Weights = func(l *model.Layer) ([]*model.Weight, error) { return l.Weights, nil }
	}
	r := &Report{Name: m.Name, Class: loadedClass(m.Class), Sequential: m.IsSequential()}
	if err := r.addModel(m, shapes, 0, opt, true); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Report) addModel(m *model.Model, shapes *model.Shapes, depth int, opt Options, count bool) error {
	order := m.Order()
	for _, l := range order {
		row := Row{Name: l.Name, Class: loadedClass(l.Class), Trainable: model.IsTrainable(l), Inbound: []string{}, Depth: depth}
		id := model.NodeID{Layer: l, Node: 0}
		if l.Class == "InputLayer" && len(l.Nodes) == 0 {
			id.Node = -1
		}
		if shapes != nil {
			row.Outputs = shapes.Outputs(id)
		}
		if !m.IsSequential() {
			row.Inbound = inbound(m, l)
		}
		if count {
			c, err := layerCount(m, l, shapes, opt.Weights)
			if err != nil {
				return err
			}
			row.Params = c.Total()
			r.add(c)
		} else {
			row.Params = subParams(m, l, shapes)
		}
		r.Rows = append(r.Rows, row)
		if opt.ExpandNested && l.Sub != nil && shapes != nil {
			if err := r.addModel(l.Sub, shapes.Nested(l), depth+1, opt, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// inbound lists every connection of l's calls as Keras prints them. Keras
// numbers calls as they are in memory: a nested model's first call is
// node 0, though Keras 2 files write 1.
func inbound(m *model.Model, l *model.Layer) []string {
	out := []string{}
	for i := range l.Nodes {
		parents := m.Parents(model.NodeID{Layer: l, Node: i})
		for k, p := range parents {
			ref := model.Ref{Layer: p.Layer.Name, Node: max(p.Node, 0), Tensor: l.Nodes[i].In[k].Index}
			out = append(out, ref.String())
		}
	}
	return out
}

// add adds a layer's counts to the totals.
func (r *Report) add(c count) {
	r.Total += c.Total()
	r.Trainable += c.trainable
	r.NonTrainable += c.frozen
	r.TrainableBytes += c.trainableBytes
	r.NonTrainableBytes += c.frozenBytes
}

// subParams counts a nested sublayer's parameters from the config alone:
// its weights are stored in the enclosing model's group.
func subParams(m *model.Model, l *model.Layer, shapes *model.Shapes) int64 {
	if shapes == nil {
		return 0
	}
	infos, err := model.LayerWeightInfo(m, l, shapes)
	if err != nil {
		return 0
	}
	var n int64
	for _, w := range infos {
		n += (&model.Weight{Shape: w.Spec.Shape}).Size()
	}
	return n
}

// BuildWeightsOnly summarises a weights-only file: layer names and
// parameter counts, in layer_names order; no shapes or connections.
func BuildWeightsOnly(names []string, groups map[string][]*model.Weight) *Report {
	r := &Report{WeightsOnly: true, Sequential: true}
	for _, name := range names {
		row := Row{Name: name, Trainable: true, Inbound: []string{}}
		c := savedCount(groups[name], true)
		row.Params = c.Total()
		r.add(c)
		r.Rows = append(r.Rows, row)
	}
	return r
}

// JSON writes the report as one JSON object with stable keys.
func (r *Report) JSON(w io.Writer) error {
	type row struct {
		Name      string   `json:"name"`
		Class     string   `json:"class"`
		Outputs   [][]any  `json:"output_shapes"`
		Params    int64    `json:"params"`
		Trainable bool     `json:"trainable"`
		Inbound   []string `json:"inbound"`
		Depth     int      `json:"depth,omitempty"`
	}
	out := struct {
		Name         string `json:"name"`
		Class        string `json:"class"`
		WeightsOnly  bool   `json:"weights_only,omitempty"`
		Layers       []row  `json:"layers"`
		Total        int64  `json:"total_params"`
		Trainable    int64  `json:"trainable_params"`
		NonTrainable int64  `json:"non_trainable_params"`
	}{Name: r.Name, Class: r.Class, WeightsOnly: r.WeightsOnly, Layers: []row{},
		Total: r.Total, Trainable: r.Trainable, NonTrainable: r.NonTrainable}
	for _, x := range r.Rows {
		out.Layers = append(out.Layers, row{x.Name, x.Class, shapesJSON(x.Outputs), x.Params, x.Trainable, x.Inbound, x.Depth})
	}
	// One layer per line: readable, diffable, and still one JSON document.
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"name\": %s,\n  \"class\": %s,\n", mustJSON(out.Name), mustJSON(out.Class))
	if out.WeightsOnly {
		b.WriteString("  \"weights_only\": true,\n")
	}
	b.WriteString("  \"layers\": [")
	for i, l := range out.Layers {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    " + mustJSON(l))
	}
	if len(out.Layers) > 0 {
		b.WriteString("\n  ")
	}
	fmt.Fprintf(&b, "],\n  \"total_params\": %d,\n  \"trainable_params\": %d,\n  \"non_trainable_params\": %d\n}\n",
		out.Total, out.Trainable, out.NonTrainable)
	_, err := w.Write(b.Bytes())
	return err
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain values are marshalled
	}
	return string(b)
}

// shapesJSON gives nil for unknown outputs, else one list per output
// with nil for None dimensions.
func shapesJSON(ss []model.Shape) [][]any {
	if len(ss) == 0 {
		return nil
	}
	out := make([][]any, len(ss))
	for i, s := range ss {
		if s == nil {
			return nil
		}
		out[i] = make([]any, len(s))
		for j, d := range s {
			if d != model.None {
				out[i][j] = d
			}
		}
	}
	return out
}

// ShapeText formats a layer's output shapes as Keras prints them.
func ShapeText(ss []model.Shape) string {
	if len(ss) == 0 {
		return "?"
	}
	if len(ss) == 1 {
		return ss[0].String()
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Group formats n with thousands separators, as Keras does.
func Group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Size formats a byte count as Keras does: 1024 steps, two decimals.
func Size(bytes int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	f := float64(bytes)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	return fmt.Sprintf("%.2f %s", f, units[u])
}

// loadedClass is the class Keras gives a model it loads: old Keras 2
// configs call a Functional model "Model", which both Kerases load as
// Functional.
func loadedClass(class string) string {
	if class == "Model" {
		return "Functional"
	}
	return class
}
