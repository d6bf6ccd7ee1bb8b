package h5model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/modelsurg/modelsurg/internal/model"
)

// SaveOptions controls what Save keeps of the source file.
type SaveOptions struct {
	// DropTrainingConfig leaves out training_config.
	DropTrainingConfig bool
	// Force allows replacing an existing output file.
	Force bool
}

// headerLimit is Keras's HDF5_OBJECT_HEADER_LIMIT: list attributes larger
// than this (as fixed-length strings) are split into name0, name1, ...
const headerLimit = 64512

// Save writes m as a new .h5 file at path in the dialect and layout of src.
// Weights that are references into src are copied file to file through one
// small buffer, never whole in memory (see rawcopy.go); optimizer weights
// are never written. The file appears at path only when complete: it is
// written to a temporary file beside it, synced and renamed.
func Save(path string, src *File, m *model.Model, opt SaveOptions) error {
	leave := enter()
	defer leave()
	return writeAtomic(path, src.Path, opt.Force, func(tmp string) error {
		return save(tmp, src, m, opt)
	})
}

// writeAtomic refuses output == input and an existing output without
// force, then lets write fill a temporary file in the output's folder and
// renames it into place. On any error nothing is left behind.
func writeAtomic(path, input string, force bool, write func(tmp string) error) (err error) {
	if same, err := samePath(path, input); err != nil {
		return err
	} else if same {
		return fmt.Errorf("%s: output is the input file; write to another path", path)
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("%s: is a directory", path)
		}
		if !force {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	dir := filepath.Dir(path)
	tf, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: cannot write in %s: %w", path, dir, pe.Err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := tf.Name()
	tf.Close()
	os.Remove(tmp) // HDF5 creates it exclusively
	inflight.Store(tmp, true)
	defer func() {
		inflight.Delete(tmp)
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// inflight holds the temporary files being written, for RemoveTemps.
var inflight sync.Map

// RemoveTemps deletes the temporary files of writes still under way. The
// command calls it when interrupted, before it exits.
func RemoveTemps() {
	inflight.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		return true
	})
}

// ErrExists is returned when the output exists and Force is not set.
var ErrExists = errors.New("output file exists (use --force to replace it)")

func samePath(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if aa == bb {
		return true, nil
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb), nil
}

func syncFile(path string) error {
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := fh.Sync(); err != nil {
		return err
	}
	return fh.Close()
}

func save(tmp string, src *File, m *model.Model, opt SaveOptions) error {
	out, err := createFile(tmp)
	if err != nil {
		return err
	}
	c, err := startCopier(tmp)
	if err != nil {
		closeFile(out)
		return err
	}
	defer c.close()
	werr := writeFile(out, c, src, m, opt)
	cerr := closeFile(out)
	if werr != nil {
		return werr
	}
	if cerr != nil {
		return cerr
	}
	return c.finish()
}

func writeFile(out hid, c *copier, src *File, m *model.Model, opt SaveOptions) error {
	root := src.root()
	names, err := attrNames(root)
	if err != nil {
		return err
	}
	for _, n := range names {
		switch {
		case n == "model_config" && m != nil:
			if err := writeStr(out, n, string(model.Marshal(m)), false); err != nil {
				return err
			}
		case n == "training_config" && opt.DropTrainingConfig:
		case src.weightsRoot == "" && isListAttr(n, "layer_names"):
			// rewritten below
		default:
			if err := copyAttr(root, n, out); err != nil {
				return err
			}
		}
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
	order, err := m.Order()
	if err != nil {
		return err
	}
	layerNames := make([]string, len(order))
	groups := map[string][]*model.Weight{}
	for i, l := range order {
		layerNames[i] = l.Name
		groups[l.Name] = l.Weights
	}
	return writeWeights(wdst, c, wsrc, src, layerNames, groups)
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

// writeWeights writes layer_names and one group per layer into dst.
func writeWeights(dst hid, c *copier, wsrc hid, src *File, names []string, groups map[string][]*model.Weight) error {
	if err := writeList(dst, "layer_names", names); err != nil {
		return err
	}
	for _, name := range names {
		ws := groups[name]
		if sameWeights(src.Groups[name], ws) {
			if err := c.copy(src, wsrc, name, dst, name); err != nil {
				return fmt.Errorf("layer %q: %w", name, err)
			}
			continue
		}
		if err := writeGroup(dst, c, name, ws); err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
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
			if int64(len(w.Data)) != w.Size() {
				return fmt.Errorf("weight %q: %d values for shape %v", w.Name, len(w.Data), w.Shape)
			}
			if err := writeFloat32(g, w.Name, w.Shape, w.Data); err != nil {
				return err
			}
		default:
			return fmt.Errorf("weight %q: unknown source", w.Name)
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

// ReadFloat32 reads the values of a weight that references a source file.
func ReadFloat32(w *model.Weight) ([]float32, error) {
	s, ok := w.Src.(*src)
	if !ok {
		if w.Data != nil {
			return w.Data, nil
		}
		return nil, fmt.Errorf("weight %q has no data", w.Name)
	}
	leave := enter()
	defer leave()
	g, err := layerGroup(s.file, s.group)
	if err != nil {
		return nil, err
	}
	defer closeGroup(g)
	return readFloat32(g, s.path, w.Size())
}
