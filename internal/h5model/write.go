package h5model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/outfile"
)

// SaveOptions controls what Save keeps of the source file.
type SaveOptions struct {
	// DropTrainingConfig leaves out training_config.
	DropTrainingConfig bool
	// Force allows replacing an existing output file.
	Force bool
	// KerasVersion, when set, is the keras_version written (a converted
	// model's target Keras); else the source's is kept.
	KerasVersion string
}

// headerLimit is Keras's HDF5_OBJECT_HEADER_LIMIT: list attributes larger
// than this (as fixed-length strings) are split into name0, name1, ...
const headerLimit = 64512

// Save writes m as a new .h5 file at path in the dialect and layout of src.
// model_config is m marshalled, or the source's bytes when m is src.Model.
// Weights that are references into src are copied file to file through one
// small buffer, never whole in memory (see rawcopy.go); optimizer weights
// are never written. The file appears at path only when complete: it is
// written to a temporary file beside it, synced and renamed.
func Save(path string, src *File, m *model.Model, opt SaveOptions) error {
	leave := enter()
	defer leave()
	return writeAtomic(path, src.Path, opt.Force, func(tmp string) error {
		if src.keras3 != nil {
			return saveFromKeras3(tmp, src, m, opt)
		}
		return save(tmp, src, m, opt)
	})
}

// writeAtomic writes an output as every modelsurg output is written.
func writeAtomic(path, input string, force bool, write func(tmp string) error) error {
	return outfile.Write(path, []string{input}, force, write)
}

// RemoveTemps deletes the temporary files of writes still under way.
func RemoveTemps() { outfile.RemoveTemps() }

// ErrExists is returned when the output exists and Force is not set.
var ErrExists = outfile.ErrExists

func save(tmp string, src *File, m *model.Model, opt SaveOptions) error {
	return withCopier(tmp, func(out hid, c *copier) error { return writeFile(out, c, src, m, opt) })
}

// Copy writes src again as it is but for its optimizer weights and, with
// DropTrainingConfig, its training_config: every other attribute, group
// and dataset is the source's, byte for byte. model_config keeps the
// source's bytes (Save marshals the model it is given instead).
func Copy(path string, src *File, opt SaveOptions) error {
	if src.keras3 != nil {
		return Save(path, src, src.Model, opt)
	}
	leave := enter()
	defer leave()
	return writeAtomic(path, src.Path, opt.Force, func(tmp string) error {
		return withCopier(tmp, func(out hid, c *copier) error { return copyAll(out, c, src, opt) })
	})
}

// withCopier creates the HDF5 file tmp, lets write fill it and closes it.
func withCopier(tmp string, write func(out hid, c *copier) error) error {
	return withUserBlock(tmp, 0, write)
}

// withUserBlock is withCopier for a file whose first ub bytes are left to
// its container (a .keras archive's zip headers); 0 for none.
func withUserBlock(tmp string, ub int64, write func(out hid, c *copier) error) error {
	var out hid
	var err error
	if ub > 0 {
		out, err = createFileUB(tmp, ub)
	} else {
		out, err = createFile(tmp)
	}
	if err != nil {
		return err
	}
	c, err := startCopier(tmp, ub > 0) // a user block: the zip of a .keras archive
	if err != nil {
		closeFile(out)
		return err
	}
	defer c.close()
	werr := write(out, c)
	cerr := closeFile(out)
	if werr != nil {
		return werr
	}
	if cerr != nil {
		return cerr
	}
	return c.finish()
}

func copyAll(out hid, c *copier, src *File, opt SaveOptions) error {
	root := src.root()
	names, err := attrNames(root)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == "training_config" && opt.DropTrainingConfig {
			continue
		}
		if err := copyAttr(root, n, out); err != nil {
			return err
		}
	}
	kids, err := children(root)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if k == "optimizer_weights" {
			continue
		}
		if err := c.copy(src, root, k, out, k); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(out hid, c *copier, src *File, m *model.Model, opt SaveOptions) error {
	root := src.root()
	if err := writeRootAttrs(out, src, m, opt); err != nil {
		return err
	}
	kids, err := children(root)
	if err != nil {
		return err
	}
	groupRoots := layerRoots(src.Groups, nil)
	for _, k := range kids {
		switch {
		case k == "optimizer_weights":
		case k == src.weightsRoot:
		case src.weightsRoot == "" && groupRoots[k]:
			// a layer group of a weights-only file: written below
		default:
			if err := c.copy(src, root, k, out, k); err != nil {
				return err
			}
		}
	}
	if src.weightsRoot == "" {
		return writeWeights(out, c, root, src, src.LayerNames, src.Groups)
	}
	wsrc, closeW, err := src.weightsGroup()
	if err != nil {
		return err
	}
	defer closeW()
	wdst, err := createGroup(out, src.weightsRoot)
	if err != nil {
		return err
	}
	defer closeGroup(wdst)
	wnames, err := attrNames(wsrc)
	if err != nil {
		return err
	}
	for _, n := range wnames {
		if !isListAttr(n, "layer_names") {
			if err := copyAttr(wsrc, n, wdst); err != nil {
				return err
			}
		}
	}
	wkids, err := children(wsrc)
	if err != nil {
		return err
	}
	owned := layerRoots(src.Groups, m)
	for _, k := range wkids {
		if !owned[k] {
			// top_level_model_weights and anything else Keras may add
			if err := c.copy(src, wsrc, k, wdst, k); err != nil {
				return err
			}
		}
	}
	layerNames, groups, err := savedLayers(src, m)
	if err != nil {
		return err
	}
	return writeWeights(wdst, c, wsrc, src, layerNames, groups)
}

// writeRootAttrs writes the root attributes of src again: model_config
// from m, keras_version as opt says, training_config unless dropped; the
// layer_names of a weights-only file are written with its weights.
func writeRootAttrs(out hid, src *File, m *model.Model, opt SaveOptions) error {
	root := src.root()
	names, err := attrNames(root)
	if err != nil {
		return err
	}
	for _, n := range names {
		switch {
		case n == "model_config" && m != nil && m != src.Model:
			if err := writeStr(out, n, string(model.Marshal(m)), false); err != nil {
				return err
			}
		case n == "training_config" && opt.DropTrainingConfig:
		case n == "keras_version" && opt.KerasVersion != "":
			if err := writeStr(out, n, opt.KerasVersion, true); err != nil {
				return err
			}
		case src.weightsRoot == "" && isListAttr(n, "layer_names"):
			// written with the weights
		default:
			if err := copyAttr(root, n, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// savedLayers returns the names Keras lists in layer_names for m, in
// Keras's layer order, and each one's weights. A Keras 3 operation (a
// keras.ops call such as x * np.ones(4)), which the config records like a
// layer but which is no Keras layer, is left out: Keras writes no group
// for it. One holding weights is a layer whatever its config says.
func savedLayers(src *File, m *model.Model) ([]string, map[string][]*model.Weight, error) {
	var names []string
	groups := map[string][]*model.Weight{}
	order := m.Order()
	for _, l := range order {
		if model.IsOperation(l, m.Dialect) && len(l.Weights) == 0 {
			continue
		}
		names = append(names, l.Name)
		groups[l.Name] = l.Weights
	}
	return names, groups, nil
}

// layerRoots returns the first path component of every layer group: a
// layer named "conv1/conv" (tf-keras DenseNet) lives in group conv1/conv.
func layerRoots(groups map[string][]*model.Weight, m *model.Model) map[string]bool {
	roots := map[string]bool{}
	add := func(name string) {
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[:i]
		}
		roots[name] = true
	}
	for name := range groups {
		add(name)
	}
	if m != nil {
		for _, l := range m.Layers {
			add(l.Name)
		}
	}
	return roots
}

func isListAttr(name, base string) bool {
	if name == base {
		return true
	}
	if len(name) <= len(base) || name[:len(base)] != base {
		return false
	}
	for _, c := range name[len(base):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// writeWeights writes layer_names and one group per layer into dst. The
// groups are made in name order, as Keras makes them: a layer named
// "Conv/BatchNorm" (tf-keras MobileNetV3) then has its group inside the
// group of the layer named "Conv", created before it, and a layer named
// "conv1/conv" (DenseNet) inside a plain group conv1.
func writeWeights(dst hid, c *copier, wsrc hid, src *File, names []string, groups map[string][]*model.Weight) error {
	if err := writeList(dst, "layer_names", names); err != nil {
		return err
	}
	below := groupsBelow(src.LayerNames, names)
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	for _, name := range sorted {
		ws := groups[name]
		var err error
		if sameWeights(src.Groups[name], ws) {
			err = copyLayer(c, src, wsrc, name, dst, below[name])
		} else {
			err = writeGroup(dst, c, name, ws)
		}
		if err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
	}
	return nil
}

// groupsBelow maps each path that is a proper prefix of a layer name, up
// to a "/", to the rest of that name: "Conv" to "BatchNorm" for a layer
// "Conv/BatchNorm". The names of the source's layers and of the written
// ones both count: another layer's group is never part of a layer's own.
func groupsBelow(lists ...[]string) map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, list := range lists {
		for _, n := range list {
			if seen[n] {
				continue
			}
			seen[n] = true
			for i := 0; i < len(n); i++ {
				if n[i] == '/' {
					out[n[:i]] = append(out[n[:i]], n[i+1:])
				}
			}
		}
	}
	return out
}

// copyLayer copies the group sname of one layer from src to dst without
// the groups of other layers below it (below: their paths relative to it),
// which are written as layers of their own.
func copyLayer(c *copier, from *File, src hid, sname string, dst hid, below []string) error {
	if len(below) == 0 {
		return c.copy(from, src, sname, dst, sname)
	}
	sg, err := openGroup(src, sname)
	if err != nil {
		return err
	}
	defer closeGroup(sg)
	dg, err := createGroup(dst, sname)
	if err != nil {
		return err
	}
	defer closeGroup(dg)
	attrs, err := attrNames(sg)
	if err != nil {
		return err
	}
	for _, a := range attrs {
		if err := copyAttr(sg, a, dg); err != nil {
			return err
		}
	}
	kids, err := children(sg)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if slices.Contains(below, k) {
			continue
		}
		var sub []string
		for _, b := range below {
			if rest, ok := strings.CutPrefix(b, k+"/"); ok {
				sub = append(sub, rest)
			}
		}
		if len(sub) > 0 && objKind(sg, k) == kindGroup {
			err = copyLayer(c, from, sg, k, dg, sub)
		} else {
			err = c.copy(from, sg, k, dg, k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sameWeights reports whether a layer's weights are exactly a source group.
func sameWeights(saved, ws []*model.Weight) bool {
	if saved == nil || len(saved) != len(ws) {
		return false
	}
	for i := range ws {
		if saved[i] != ws[i] {
			return false
		}
	}
	return true
}

func writeGroup(dst hid, c *copier, name string, ws []*model.Weight) error {
	g, err := createGroup(dst, name)
	if err != nil {
		return err
	}
	defer closeGroup(g)
	wnames := make([]string, len(ws))
	for i, w := range ws {
		wnames[i] = w.Name
	}
	if err := writeList(g, "weight_names", wnames); err != nil {
		return err
	}
	for _, w := range ws {
		switch s := w.Src.(type) {
		case *src:
			sg, err := layerGroup(s.file, s.group)
			if err != nil {
				return err
			}
			err = c.copy(s.file, sg, s.path, g, w.Name)
			closeGroup(sg)
			if err != nil {
				return err
			}
		case nil:
			return fmt.Errorf("weight %q has no values", w.Name)
		default:
			if err := writeValues(g, w.Name, w); err != nil {
				return fmt.Errorf("weight %q: %w", w.Name, err)
			}
		}
	}
	return nil
}

// writeList writes a list of names as Keras does: variable-length ASCII
// strings, or, past the object header limit, fixed-length chunks
// name0, name1, ... split as numpy.array_split splits them.
func writeList(loc hid, name string, vals []string) error {
	if len(vals) == 0 {
		return writeEmptyF64(loc, name)
	}
	maxLen := 0
	for _, v := range vals {
		maxLen = max(maxLen, len(v))
	}
	if maxLen > headerLimit {
		return fmt.Errorf("attribute %q: an entry is longer than %d bytes", name, headerLimit)
	}
	chunks := 1
	for {
		largest := (len(vals) + chunks - 1) / chunks
		if largest*maxLen <= headerLimit {
			break
		}
		chunks++
	}
	if chunks == 1 {
		return writeVlenStrings(loc, name, vals)
	}
	// numpy.array_split: the first len%chunks pieces get one extra element.
	base, extra := len(vals)/chunks, len(vals)%chunks
	at := 0
	for i := 0; i < chunks; i++ {
		n := base
		if i < extra {
			n++
		}
		if err := writeFixedStrings(loc, fmt.Sprintf("%s%d", name, i), vals[at:at+n], maxLen); err != nil {
			return err
		}
		at += n
	}
	return nil
}

// ReadFloat32 reads the values of a weight.
func ReadFloat32(w *model.Weight) ([]float32, error) {
	if w.Src == nil {
		return nil, fmt.Errorf("weight %q has no values", w.Name)
	}
	return w.Src.Float32()
}

// size is the number of values of a shape.
func size(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}
