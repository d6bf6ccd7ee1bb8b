package h5model

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Keras 3's .keras weights file (model.weights.h5) does not group weights
// by layer name: each layer of a model is the group layers/<class>[_N],
// its class name in snake case numbered per class in the order of
// model.layers (layers/dense, layers/dense_1, ...); its own variables are
// the datasets vars/0, vars/1, ...; variables of objects it holds (an
// RNN's cell, a Bidirectional's forward_layer and backward_layer) are in
// groups named after the attribute; a nested model has its own layers/;
// the root model's variables are /vars, the optimizer's optimizer/.

// keras3Info is what a File read from a .keras archive adds.
type keras3Info struct {
	// rel maps each weight read to its path below its layer's group
	// ("vars/0", "cell/vars/1"), where a .keras output puts it again.
	rel map[*model.Weight]string
	// scope maps each weight read to the names of the objects below its
	// layer that hold it ("forward_lstm/lstm_cell/"), as Keras 3 names
	// variables in an .h5 file.
	scope map[*model.Weight]string
	// Config is config.json; KerasVersion and DateSaved are metadata.json's.
	config                  []byte
	kerasVersion, dateSaved string
}

// Keras3Source locates the parts of a .keras archive OpenKeras3 reads.
type Keras3Source struct {
	Path string
	// Offset and Size locate model.weights.h5, stored, inside the file.
	Offset, Size int64
	// Config is config.json; KerasVersion and DateSaved are from metadata.json.
	Config                  []byte
	KerasVersion, DateSaved string
}

// OpenKeras3 reads the model of a .keras archive: config.json parsed and
// its shapes inferred, every layer given its weights (shapes and
// references, no data) from model.weights.h5, which HDF5 reads in place.
// With check, the weights are checked against the config as Open checks
// them. Errors name the file.
func OpenKeras3(a Keras3Source, check bool) (*File, error) {
	leave := enter()
	defer leave()
	hf, err := openSpan(a.Path, a.Offset, a.Size)
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not a readable HDF5 file (truncated or damaged?)", a.Path, "model.weights.h5")
	}
	f := &File{Path: a.Path, f: hf, spanOff: a.Offset, spanSize: a.Size, KerasVersion: a.KerasVersion,
		keras3: &keras3Info{rel: map[*model.Weight]string{}, scope: map[*model.Weight]string{}, config: a.Config, kerasVersion: a.KerasVersion, dateSaved: a.DateSaved}}
	if err := f.readKeras3(check); err != nil {
		closeFile(hf)
		return nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	return f, nil
}

// IsKeras3 reports a File read from a .keras archive.
func (f *File) IsKeras3() bool { return f.keras3 != nil }

func (f *File) readKeras3(check bool) error {
	m, err := model.Parse(f.keras3.config, model.Keras3)
	if err != nil {
		return fmt.Errorf("config.json: %w", err)
	}
	s, badCfg := model.Infer(m)
	f.Model, f.Shapes = m, s
	f.HasTrainingConfig = !m.Envelope("compile_config").IsNull()
	f.HasOptimizer = objKind(f.root(), "optimizer") == kindGroup
	if !check {
		return badCfg // the weights are read when ReadGroup first asks
	}
	if err := f.walkKeras3(); err != nil {
		return err
	}
	if err := checkWeights(m, s); err != nil {
		return err
	}
	return badCfg
}

// ReadArchiveWeights reads, for a File opened from a .keras archive
// without check, every layer's weights (shapes and references, no data),
// refusing an archive that lacks a layer's weights or holds weights no
// layer owns; it does not check their shapes against the config. An .h5
// File has nothing to do here: its ReadGroup reads one layer's.
func (f *File) ReadArchiveWeights() error {
	if f.keras3 == nil || f.Groups != nil {
		return nil
	}
	leave := enter()
	defer leave()
	err := f.walkKeras3()
	if err == nil {
		err = checkSaved(f.Model, f.Shapes)
	}
	if err != nil {
		f.Groups = nil
	}
	return err
}

// walkKeras3 gives every layer of the model its weights from
// model.weights.h5, and fills Groups.
func (f *File) walkKeras3() error {
	f.Groups = map[string][]*model.Weight{}
	r := &k3reader{f: f}
	if err := r.container(f.Model, f.Shapes, ""); err != nil {
		return err
	}
	if err := r.onlyKnown("", map[string]bool{"layers": true, "vars": true, "optimizer": true}); err != nil {
		return err
	}
	own, err := r.vars("", "", "")
	if err != nil {
		return err
	}
	if len(own) > 0 {
		return fmt.Errorf("the model has %d variables of its own (/vars), which modelsurg does not carry", len(own))
	}
	return nil
}

// checkSaved refuses a model whose archive lacks the weights of a layer
// whose config implies some: the weights file lists no layer names, so a
// missing group is the only sign of it.
func checkSaved(m *model.Model, s *model.Shapes) error {
	for _, l := range m.Layers {
		if len(l.Weights) > 0 {
			continue
		}
		if infos, err := model.LayerWeightInfo(m, l, s); err == nil && len(infos) > 0 {
			return fmt.Errorf("layer %q (%s): the archive has no weights for it but the config implies %d", l.Name, l.Class, len(infos))
		}
	}
	return nil
}

// k3layer is one layer of a model with the group Keras 3 saves it in.
type k3layer struct {
	l    *model.Layer
	path string
}

// keras3Layers lists m's layers as Keras 3 saves them below prefix:
// model.layers in order (a Sequential model's lists no InputLayer), each
// named after its class with a per-class counter.
func keras3Layers(m *model.Model, prefix string) []k3layer {
	used := map[string]int{}
	var out []k3layer
	for _, l := range m.KerasLayers() {
		if m.IsSequential() && l.Class == "InputLayer" {
			continue
		}
		name := snakeCase(l.Class)
		if n, ok := used[name]; ok {
			used[name] = n + 1
			name += "_" + strconv.Itoa(n+1)
		} else {
			used[name] = 0
		}
		out = append(out, k3layer{l, prefix + "layers/" + name})
	}
	return out
}

var (
	snakeNonWord = regexp.MustCompile(`[^\p{L}\p{N}_]+`)
	snakeWord    = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snakeLower   = regexp.MustCompile(`([a-z])([A-Z])`)
)

// snakeCase is Keras's naming.to_snake_case: "Conv2D" is conv2d,
// "GlobalAveragePooling2D" global_average_pooling2d, "ConvLSTM2D" conv_lstm2d.
func snakeCase(name string) string {
	name = snakeNonWord.ReplaceAllString(name, "")
	name = snakeWord.ReplaceAllString(name, "${1}_${2}")
	return strings.ToLower(snakeLower.ReplaceAllString(name, "${1}_${2}"))
}

type k3reader struct {
	f *File
}

// onlyKnown refuses a group below path (a container's layers/, a nested
// model's or the root's own group) that is none of names: its weights
// would be dropped without a word.
func (r *k3reader) onlyKnown(path string, names map[string]bool) error {
	g, err := r.open(path)
	if err != nil || g < 0 {
		return err
	}
	kids, err := children(g)
	closeGroup(g)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if !names[k] {
			return fmt.Errorf("model.weights.h5 holds %s, which no layer of config.json owns", strings.TrimPrefix(path+"/"+k, "/"))
		}
	}
	return nil
}

// open opens the group at path, or returns -1 if there is none.
func (r *k3reader) open(path string) (hid, error) {
	if path == "" {
		path = "."
	}
	g, err := openGroup(r.f.root(), path)
	if err == nil {
		return g, nil
	}
	switch objKind(r.f.root(), path) {
	case 0:
		return -1, nil
	case kindGroup:
		return -1, err
	default:
		return -1, fmt.Errorf("model.weights.h5: %s is not a group", path)
	}
}

// container gives each layer of m, saved below prefix, its weights, in
// the order an .h5 file lists them.
func (r *k3reader) container(m *model.Model, s *model.Shapes, prefix string) error {
	layers := keras3Layers(m, prefix)
	names := map[string]bool{}
	for _, kl := range layers {
		names[kl.path[len(prefix+"layers/"):]] = true
	}
	if err := r.onlyKnown(prefix+"layers", names); err != nil {
		return err
	}
	for _, kl := range layers {
		l := kl.l
		var ws []*model.Weight
		var err error
		if l.Sub != nil {
			ws, err = r.nested(m, s, kl)
		} else {
			ws, err = r.object(kl.path, l.Class, "", "")
		}
		if err != nil {
			return fmt.Errorf("layer %q (%s): %w", l.Name, kl.path, err)
		}
		l.Weights = ws
		if prefix == "" {
			r.f.LayerNames = append(r.f.LayerNames, l.Name)
			r.f.Groups[l.Name] = ws
		}
		r.name(m, s, l)
	}
	return nil
}

// nested reads a nested model's layers and lists their weights as an .h5
// file lists a nested model's: trainable weights of all its layers, then
// the others, as Keras's LayerWeightInfo orders them.
func (r *k3reader) nested(m *model.Model, s *model.Shapes, kl k3layer) ([]*model.Weight, error) {
	own, err := r.vars(kl.path, "", "")
	if err != nil {
		return nil, err
	}
	if len(own) > 0 {
		return nil, fmt.Errorf("a nested model with variables of its own is not supported")
	}
	if err := r.onlyKnown(kl.path, map[string]bool{"layers": true, "vars": true}); err != nil {
		return nil, err
	}
	if err := r.container(kl.l.Sub, s.Nested(kl.l), kl.path+"/"); err != nil {
		return nil, err
	}
	byOwner := map[*model.Layer][]*model.Weight{}
	var all []*model.Weight
	collectLeaves(kl.l.Sub, byOwner, &all, 0)
	infos, err := model.LayerWeightInfo(m, kl.l, s)
	if err != nil || len(infos) != len(all) {
		return all, nil // checkWeights names the layer if this is wrong
	}
	out := make([]*model.Weight, 0, len(all))
	for _, in := range infos {
		q := byOwner[in.Owner]
		if len(q) == 0 {
			return all, nil
		}
		out = append(out, q[0])
		byOwner[in.Owner] = q[1:]
	}
	return out, nil
}

// collectLeaves lists the weights of the layers (not nested models) of m,
// in layer order, and by layer.
func collectLeaves(m *model.Model, by map[*model.Layer][]*model.Weight, all *[]*model.Weight, depth int) {
	if depth > 64 {
		return
	}
	order := m.Order()
	for _, l := range order {
		if l.Sub != nil {
			collectLeaves(l.Sub, by, all, depth+1)
			continue
		}
		by[l] = l.Weights
		*all = append(*all, l.Weights...)
	}
}

// name gives a leaf layer's weights the names Keras 3 gives its
// variables in an .h5 file ("lstm/lstm_cell/kernel"), or, where the
// config does not tell them, the layer's name and their path below it.
func (r *k3reader) name(m *model.Model, s *model.Shapes, l *model.Layer) {
	if l.Sub != nil {
		return
	}
	var infos []model.WeightInfo
	if s != nil {
		infos, _ = model.LayerWeightInfo(m, l, s)
	}
	seen := map[string]bool{}
	for i, w := range l.Weights {
		name := l.Name + "/" + r.f.keras3.rel[w]
		if len(infos) == len(l.Weights) {
			spec := infos[i].Spec.Name
			name = l.Name + "/" + r.f.keras3.scope[w] + spec[strings.LastIndexByte(spec, '/')+1:]
		}
		if seen[name] {
			name = l.Name + "/" + r.f.keras3.rel[w]
		}
		seen[name] = true
		w.Name = name
	}
}

// object reads the variables saved for one object at path: its own
// (vars/0, vars/1, ...) then, depth first, those of the objects it holds.
// A missing group holds none.
func (r *k3reader) object(path, class, rel, scope string) ([]*model.Weight, error) {
	g, err := r.open(path)
	if err != nil || g < 0 {
		return nil, err
	}
	kids, err := children(g)
	closeGroup(g)
	if err != nil {
		return nil, err
	}
	var ws []*model.Weight
	if slices.Contains(kids, "vars") {
		if ws, err = r.vars(path, rel, scope); err != nil {
			return nil, err
		}
	}
	for _, k := range subObjectOrder(class, kids) {
		sub, err := r.object(path+"/"+k, "", rel+k+"/", scope+r.objectName(path+"/"+k, k)+"/")
		if err != nil {
			return nil, err
		}
		ws = append(ws, sub...)
	}
	return ws, nil
}

// objectName is the name Keras recorded for the object at path (the name
// attribute of its vars group), or else def.
func (r *k3reader) objectName(path, def string) string {
	g, err := openGroup(r.f.root(), path+"/vars")
	if err != nil {
		return def
	}
	defer closeGroup(g)
	if v, scalar, err := readStrings(g, "name"); err == nil && scalar && len(v) == 1 && v[0] != "" {
		return v[0]
	}
	return def
}

// vars reads the datasets 0, 1, ... of the group path/vars.
func (r *k3reader) vars(path, rel, scope string) ([]*model.Weight, error) {
	vpath := "vars"
	if path != "" {
		vpath = path + "/vars"
	}
	g, err := r.open(vpath)
	if err != nil || g < 0 {
		return nil, err
	}
	defer closeGroup(g)
	names, err := children(g)
	if err != nil {
		return nil, err
	}
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	infos, ok := datasetsInfo(g, names...)
	ws := make([]*model.Weight, len(names))
	for i, n := range names {
		if !ok[i] {
			return nil, fmt.Errorf("%s holds %d objects but no dataset %q", vpath, len(names), n)
		}
		bf16 := infos[i].size == 2 && infos[i].dtype == "opaque" && isBFloat16(g, n)
		if bf16 {
			infos[i].dtype = "bfloat16"
		}
		if !isNumeric(infos[i].dtype) {
			return nil, fmt.Errorf("variable %s/%s holds %s values, not numbers", vpath, n, infos[i].dtype)
		}
		w := &model.Weight{Name: rel + "vars/" + n, Shape: infos[i].shape, DType: infos[i].dtype, Src: &src{file: r.f, group: vpath, path: n, n: size(infos[i].shape), bf16: bf16}}
		r.f.keras3.rel[w] = rel + "vars/" + n
		r.f.keras3.scope[w] = scope
		ws[i] = w
	}
	return ws, nil
}

// subObjects lists, for layer classes whose weights Keras 3 keeps in
// objects they hold, those objects in the order of the layer's weights.
var subObjects = map[string][]string{
	"Bidirectional":      {"forward_layer", "backward_layer"},
	"MultiHeadAttention": {"query_dense", "key_dense", "value_dense", "output_dense"},
}

// subObjectOrder orders the groups of the objects a layer holds: as
// subObjects lists them, then as Keras walks attributes (sorted, private
// ones last; numbered container entries by number).
func subObjectOrder(class string, kids []string) []string {
	kids = slices.DeleteFunc(slices.Clone(kids), func(k string) bool { return k == "vars" })
	first := subObjects[class]
	rank := func(k string) int {
		if i := slices.Index(first, k); i >= 0 {
			return i
		}
		return len(first)
	}
	slices.SortStableFunc(kids, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return compareKeys(a, b)
	})
	return kids
}

// compareKeys sorts as Keras's _name_key then a numbered suffix: "x" <
// "x_1" < "x_2" < "x_10" < "_private".
func compareKeys(a, b string) int {
	pa, pb := strings.HasPrefix(a, "_"), strings.HasPrefix(b, "_")
	if pa != pb {
		if pa {
			return 1
		}
		return -1
	}
	ba, na := splitNumber(a)
	bb, nb := splitNumber(b)
	if ba != bb {
		return strings.Compare(ba, bb)
	}
	return na - nb
}

// splitNumber splits "dense_12" into "dense" and 12; "dense" is ("dense", -1).
func splitNumber(s string) (string, int) {
	if i := strings.LastIndexByte(s, '_'); i >= 0 {
		if n, err := strconv.Atoi(s[i+1:]); err == nil && n >= 0 {
			return s[:i], n
		}
	}
	return s, -1
}

// Keras3Config returns what a File read from a .keras archive keeps of
// it: config.json and metadata.json's keras_version and date_saved.
func (f *File) Keras3Config() (config []byte, version, date string) {
	if f.keras3 == nil {
		return nil, "", ""
	}
	return f.keras3.config, f.keras3.kerasVersion, f.keras3.dateSaved
}
