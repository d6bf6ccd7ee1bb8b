package h5model

import (
	"fmt"
	"os"
	"path"
	"strconv"

	"github.com/modelsurg/modelsurg/internal/kerasfile"
	"github.com/modelsurg/modelsurg/internal/model"
)

// SaveKeras3 writes m as a .keras archive at path, atomically as Save
// writes: metadata.json and config.json as given, then model.weights.h5
// in Keras 3's layout (see keras3.go), written by HDF5 in place inside
// the archive, weights copied file to file from src (an .h5 file or a
// .keras archive). Optimizer variables are never written.
func SaveKeras3(path string, src *File, m *model.Model, metadata, config []byte, opt SaveOptions) error {
	if m.Dialect != model.Keras3 {
		return fmt.Errorf("%s: a Keras 2 model cannot be saved as .keras (Keras 3's format); write an .h5 file", path)
	}
	zw, err := kerasfile.NewWriter(metadata, config)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	leave := enter()
	defer leave()
	return writeAtomic(path, src.Path, opt.Force, func(tmp string) error {
		var written *[]kerasfile.Known
		if err := withUserBlock(tmp, kerasfile.UserBlock, func(out hid, c *copier) error {
			written = &c.written // complete once withUserBlock returns
			return writeKeras3(out, c, src, m)
		}); err != nil {
			return err
		}
		fh, err := os.OpenFile(tmp, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer fh.Close()
		if err := zw.Finish(fh, *written); err != nil {
			return err
		}
		return fh.Close()
	})
}

// k3writer writes one model.weights.h5.
type k3writer struct {
	out    hid
	c      *copier
	src    *File
	groups map[string]hid
}

func writeKeras3(out hid, c *copier, src *File, m *model.Model) error {
	w := &k3writer{out: out, c: c, src: src, groups: map[string]hid{}}
	defer func() {
		for _, g := range w.groups {
			closeGroup(g)
		}
	}()
	s, _ := model.Infer(m)
	if err := w.container(m, s, "", nil); err != nil {
		return err
	}
	return w.vars("", m.Name)
}

// group opens (creating it and its parents if needed) the group at p.
func (w *k3writer) group(p string) (hid, error) {
	if g, ok := w.groups[p]; ok {
		return g, nil
	}
	var g hid
	var err error
	if objKind(w.out, p) == kindGroup {
		g, err = openGroup(w.out, p)
	} else {
		g, err = createGroup(w.out, p)
	}
	if err != nil {
		return -1, err
	}
	w.groups[p] = g
	return g, nil
}

// vars makes the vars group of the object at p, named as Keras names it.
func (w *k3writer) vars(p, name string) error {
	g, err := w.group(path.Join(p, "vars"))
	if err != nil {
		return err
	}
	return writeStr(g, "name", name, true)
}

// container writes the layers of m below prefix. by, for the layers of a
// nested model, holds each one's share of the nested model's weights.
func (w *k3writer) container(m *model.Model, s *model.Shapes, prefix string, by map[*model.Layer][]*model.Weight) error {
	for _, kl := range keras3Layers(m, prefix) {
		l := kl.l
		var err error
		if l.Sub != nil {
			err = w.nested(m, s, kl, by)
		} else if by != nil {
			err = w.leaf(kl, by[l])
		} else {
			err = w.leaf(kl, l.Weights)
		}
		if err != nil {
			return fmt.Errorf("layer %q: %w", l.Name, err)
		}
	}
	return nil
}

// nested gives each layer of a nested model its own share of the nested
// layer's weights, as LayerWeightInfo says which layer owns each.
// (A model nested in a nested model has no weights of its own here:
// by, from the outermost, already holds its layers' shares.)
func (w *k3writer) nested(m *model.Model, s *model.Shapes, kl k3layer, by map[*model.Layer][]*model.Weight) error {
	l := kl.l
	if err := w.vars(kl.path, l.Name); err != nil {
		return err
	}
	if by == nil {
		by = map[*model.Layer][]*model.Weight{}
		if len(l.Weights) > 0 {
			infos, err := model.LayerWeightInfo(m, l, s)
			if err != nil || len(infos) != len(l.Weights) {
				return fmt.Errorf("cannot tell which of the nested model's layers own its %d weights", len(l.Weights))
			}
			for i, in := range infos {
				by[in.Owner] = append(by[in.Owner], l.Weights[i])
			}
		}
	}
	return w.container(l.Sub, s.Nested(l), kl.path+"/", by)
}

// leaf writes one layer's weights where Keras 3 keeps them.
func (w *k3writer) leaf(kl k3layer, ws []*model.Weight) error {
	l := kl.l
	if err := w.vars(kl.path, l.Name); err != nil {
		return err
	}
	rels := placement(l, ws)
	for i, wt := range ws {
		dir, base := path.Split(kl.path + "/" + rels[i])
		g, err := w.group(path.Clean(dir))
		if err != nil {
			return err
		}
		if err := w.weight(g, base, wt); err != nil {
			return fmt.Errorf("weight %q: %w", wt.Name, err)
		}
	}
	return nil
}

// weight copies one weight into g as dataset name, or writes its data.
func (w *k3writer) weight(g hid, name string, wt *model.Weight) error {
	switch s := wt.Src.(type) {
	case *src:
		sg, err := layerGroup(s.file, s.group)
		if err != nil {
			return err
		}
		defer closeGroup(sg)
		return w.c.copy(s.file, sg, s.path, g, name)
	case nil:
		return fmt.Errorf("no values")
	default:
		return writeValues(g, name, wt)
	}
}

// placement returns where each of l's weights goes below its group: where
// a .keras source had it, or where Keras 3 keeps a variable of l's class.
func placement(l *model.Layer, ws []*model.Weight) []string {
	rels := make([]string, len(ws))
	known := true
	for i, wt := range ws {
		if s, ok := wt.Src.(*src); ok && s.file.keras3 != nil {
			rels[i], ok = s.file.keras3.rel[wt]
			known = known && ok
		} else {
			known = false
		}
	}
	if known {
		return rels
	}
	return classPlacement(l, len(ws))
}

// rnnClasses hold their variables in their cell.
var rnnClasses = map[string]bool{"LSTM": true, "GRU": true, "SimpleRNN": true, "ConvLSTM1D": true, "ConvLSTM2D": true, "ConvLSTM3D": true}

// classPlacement places n weights of a layer of l's class as Keras 3 does.
func classPlacement(l *model.Layer, n int) []string {
	inner := func(cls string) string {
		if rnnClasses[cls] {
			return "cell/vars/"
		}
		return "vars/"
	}
	wrapped := ""
	if c := l.Config.Object("layer"); c != nil {
		wrapped, _ = c.String("class_name")
	}
	out := make([]string, n)
	for i := range out {
		switch {
		case rnnClasses[l.Class]:
			out[i] = "cell/vars/" + strconv.Itoa(i)
		case l.Class == "Bidirectional" && n%2 == 0:
			side := "forward_layer/"
			j := i
			if i >= n/2 {
				side, j = "backward_layer/", i-n/2
			}
			out[i] = side + inner(wrapped) + strconv.Itoa(j)
		case l.Class == "TimeDistributed":
			out[i] = "layer/" + inner(wrapped) + strconv.Itoa(i)
		case l.Class == "MultiHeadAttention" && (n == 8 || n == 4):
			per := n / 4
			out[i] = subObjects["MultiHeadAttention"][i/per] + "/vars/" + strconv.Itoa(i%per)
		default:
			out[i] = "vars/" + strconv.Itoa(i)
		}
	}
	return out
}
