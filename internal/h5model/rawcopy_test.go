package h5model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/hdf5"

	"github.com/modelsurg/modelsurg/internal/model"
)

// entry is one object of a file's tree as tests compare it.
type entry struct {
	kind  int
	attrs []string // name=value for string attributes, name alone otherwise
	info  dsInfo
	data  []byte // stored bytes of a dataset
}

// readTree reads every group and dataset of the file at p, skipping the
// paths skip accepts, with their attributes and the datasets' bytes.
func readTree(t *testing.T, p string, skip func(string) bool) map[string]entry {
	t.Helper()
	leave := enter()
	defer leave()
	// opened as Open opens it: HDF5 refuses a second open of a file with
	// other access properties while a test holds it open with Open
	f, err := openFile(p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	defer closeFile(f)
	out := map[string]entry{}
	var walk func(loc hid, dir string)
	walk = func(loc hid, dir string) {
		names, err := children(loc)
		if err != nil {
			t.Fatalf("%s: %s: %v", p, dir, err)
		}
		for _, n := range names {
			full := path.Join(dir, n)
			if skip(full) {
				continue
			}
			e := entry{kind: objKind(loc, n)}
			switch e.kind {
			case kindGroup:
				g, err := openGroup(loc, n)
				if err != nil {
					t.Fatal(err)
				}
				e.attrs = attrList(t, g)
				walk(g, full)
				closeGroup(g)
			case kindDataset:
				infos, ok := datasetsInfo(loc, n)
				if !ok[0] {
					t.Fatalf("%s: %s: cannot read dataset", p, full)
				}
				e.info = infos[0]
				if e.data, err = readRaw(loc, n); err != nil {
					t.Fatalf("%s: %s: %v", p, full, err)
				}
				e.attrs = datasetAttrs(t, f, full)
			}
			out[full] = e
		}
	}
	walk(f, "/")
	return out
}

func attrList(t *testing.T, loc hid) []string {
	names, err := attrNames(loc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		v, _, err := readStrings(loc, n)
		if err != nil {
			out = append(out, n)
			continue
		}
		out = append(out, n+"="+strings.Join(v, ","))
	}
	slices.Sort(out) // Save rewrites layer_names after the others
	return out
}

func datasetAttrs(t *testing.T, f hid, full string) []string {
	d, err := openObject(f, full)
	if err != nil {
		t.Fatal(err)
	}
	defer closeObject(d)
	return attrList(t, d)
}

// compareTrees fails unless got has exactly want's objects, attributes,
// shapes, dtypes and stored bytes.
func compareTrees(t *testing.T, label string, want, got map[string]entry) {
	t.Helper()
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(label+": "+format, args...)
		}
	}
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			report("%s missing", p)
		case g.kind != w.kind:
			report("%s: kind %d, want %d", p, g.kind, w.kind)
		case !slices.Equal(g.attrs, w.attrs):
			report("%s: attributes %.300q, want %.300q", p, g.attrs, w.attrs)
		case g.info.dtype != w.info.dtype || !slices.Equal(g.info.shape, w.info.shape):
			report("%s: %s%v, want %s%v", p, g.info.dtype, g.info.shape, w.info.dtype, w.info.shape)
		case !bytes.Equal(g.data, w.data):
			report("%s: stored bytes differ (%d bytes)", p, len(w.data))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			report("%s: not in the source", p)
		}
	}
}

// withFastCopy runs f with the fast path on or off.
func withFastCopy(on bool, f func()) {
	defer func(v bool) { fastCopy = v }(fastCopy)
	fastCopy = on
	f()
}

func noOptimizer(p string) bool { return p == "/optimizer_weights" }

// A saved file holds every object of the source but optimizer_weights,
// with the same attributes and the same stored bytes, whether weights go
// through the fast path or through H5Ocopy.
func TestSaveKeepsEveryByte(t *testing.T) {
	paths := fixtures(t)
	big := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.h5")
	if _, err := os.Stat(big); err == nil && !testing.Short() {
		paths = append(paths, big)
	}
	dir := t.TempDir()
	for i, p := range paths {
		src, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		want := readTree(t, p, noOptimizer)
		var outs [2]string
		for k, fast := range []bool{true, false} {
			outs[k] = filepath.Join(dir, fmt.Sprintf("%d-%v.h5", i, fast))
			withFastCopy(fast, func() {
				if err := Save(outs[k], src, src.Model, SaveOptions{}); err != nil {
					t.Fatalf("%s: %v", p, err)
				}
			})
			compareTrees(t, fmt.Sprintf("%s (fast %v)", p, fast), want, readTree(t, outs[k], noOptimizer))
		}
		src.Close()
	}
}

// Datasets the fast path must not take (chunked and compressed, with
// attributes, never written, empty) and ones it must (nested groups with
// attributes, other dtypes, scalars) all come out as they went in.
func TestSaveUnusualDatasets(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "odd.h5")
	copyFile(t, filepath.Join("..", "..", "testdata", "k3", "sequential_cnn.h5"), p)
	addOddities(t, p, "/model_weights/dense")
	src, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want := readTree(t, p, noOptimizer)
	for _, name := range []string{"/model_weights/dense/chunked", "/model_weights/dense/empty", "/model_weights/dense/sub/deeper/int64"} {
		if _, ok := want[name]; !ok {
			t.Fatalf("fixture lacks %s", name)
		}
	}
	for _, fast := range []bool{true, false} {
		out := filepath.Join(dir, fmt.Sprintf("out-%v.h5", fast))
		withFastCopy(fast, func() {
			if err := Save(out, src, src.Model, SaveOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		compareTrees(t, fmt.Sprintf("fast %v", fast), want, readTree(t, out, noOptimizer))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// addOddities adds to the layer group at g objects no Keras writes.
func addOddities(t *testing.T, p, g string) {
	t.Helper()
	f, err := hdf5.OpenFile(p, hdf5.F_ACC_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grp, err := f.OpenGroup(g)
	if err != nil {
		t.Fatal(err)
	}
	defer grp.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	vals := make([]float32, 1000)
	for i := range vals {
		vals[i] = float32(i%7) * 0.5
	}
	space := func(dims ...uint) *hdf5.Dataspace {
		s, err := hdf5.CreateSimpleDataspace(dims, nil)
		must(err)
		return s
	}
	f32, err := hdf5.NewDatatypeFromValue(float32(0))
	must(err)
	i64, err := hdf5.NewDatatypeFromValue(int64(0))
	must(err)

	dcpl, err := hdf5.NewPropList(hdf5.P_DATASET_CREATE)
	must(err)
	must(dcpl.SetChunk([]uint{100}))
	must(dcpl.SetDeflate(4))
	d, err := grp.CreateDatasetWith("chunked", f32, space(1000), dcpl)
	must(err)
	must(d.Write(&vals))
	d.Close()

	d, err = grp.CreateDataset("with_attr", f32, space(10))
	must(err)
	ten := vals[:10]
	must(d.Write(&ten))
	a, err := d.CreateAttribute("note", i64, space(1))
	must(err)
	note := int64(42)
	must(a.Write(&note, i64))
	a.Close()
	d.Close()

	d, err = grp.CreateDataset("unwritten", f32, space(5))
	must(err)
	d.Close()
	d, err = grp.CreateDataset("empty", f32, space(0))
	must(err)
	d.Close()

	sub, err := grp.CreateGroup("sub")
	must(err)
	a, err = sub.CreateAttribute("count", i64, space(1))
	must(err)
	count := int64(7)
	must(a.Write(&count, i64))
	a.Close()
	deeper, err := sub.CreateGroup("deeper")
	must(err)
	ints := []int64{1, -2, 3, 1 << 40}
	d, err = deeper.CreateDataset("int64", i64, space(2, 2))
	must(err)
	must(d.Write(&ints))
	d.Close()
	scalar, err := hdf5.CreateDataspace(hdf5.S_SCALAR)
	must(err)
	d, err = deeper.CreateDataset("scalar", f32, scalar)
	must(err)
	v := float32(3.25)
	must(d.Write(&v))
	d.Close()
	deeper.Close()
	sub.Close()
}

// A source that ends inside a dataset's bytes fails the copy with
// errShortSource, whichever buffer boundary it ends at.
func TestCopierShortSource(t *testing.T) {
	dir := t.TempDir()
	srcPath := filepath.Join(dir, "src")
	if err := os.WriteFile(srcPath, bytes.Repeat([]byte{7}, 3*bufSize/2), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for _, n := range []int64{10, bufSize, 2 * bufSize} {
		out := filepath.Join(dir, "out")
		if err := os.WriteFile(out, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := startCopier(out, false)
		if err != nil {
			t.Fatal(err)
		}
		c.queue <- span{src: in, soff: 3*bufSize/2 - n/2, doff: 100, n: n}
		err = c.finish()
		c.close()
		if !errors.Is(err, errShortSource) {
			t.Errorf("%d bytes from %d before the end: %v, want %v", n, n/2, err, errShortSource)
		}
	}
}

// The copier puts each span's bytes at its place in the output and
// nowhere else.
func TestCopierPlacesBytes(t *testing.T) {
	dir := t.TempDir()
	srcPath := filepath.Join(dir, "src")
	data := make([]byte, 3*bufSize)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	if err := os.WriteFile(srcPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(out, make([]byte, 4*bufSize), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := startCopier(out, false)
	if err != nil {
		t.Fatal(err)
	}
	spans := []span{{in, 0, 5, 1}, {in, 1, bufSize, 2*bufSize + 3}, {in, 3*bufSize - 9, 17, 9}}
	for _, s := range spans {
		c.queue <- s
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	c.close()
	got, _ := os.ReadFile(out)
	want := make([]byte, 4*bufSize)
	for _, s := range spans {
		copy(want[s.doff:s.doff+s.n], data[s.soff:s.soff+s.n])
	}
	if !bytes.Equal(got, want) {
		t.Error("output bytes differ")
	}
}

// A layer whose weights are not exactly its saved group is written weight
// by weight: kept weights (even renamed) carry the source's bytes, new
// ones their values.
func TestSaveChangedLayer(t *testing.T) {
	for _, p := range fixtures(t) {
		src, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if src.Model == nil {
			src.Close()
			continue
		}
		var l *model.Layer
		for _, c := range src.Model.Layers {
			if len(c.Weights) >= 2 && c.Weights[0].DType == "float32" {
				l = c
				break
			}
		}
		if l == nil {
			src.Close()
			continue
		}
		old := l.Weights
		fill := make(model.Values, old[0].Size())
		for i := range fill {
			fill[i] = float32(i) * 0.25
		}
		fresh := &model.Weight{Name: old[0].Name, Shape: old[0].Shape, DType: "float32", Src: fill}
		renamed := *old[1]
		renamed.Name = "renamed/" + old[1].Name
		l.Weights = append([]*model.Weight{fresh, &renamed}, old[2:]...)
		out := filepath.Join(t.TempDir(), "out.h5")
		err = Save(out, src, src.Model, SaveOptions{})
		l.Weights = old
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		root := "/" + l.Name
		if !src.WeightsOnly() {
			root = "/model_weights" + root
		}
		want := readTree(t, p, noOptimizer)
		got := readTree(t, out, noOptimizer)
		group := path.Join(root, old[1].Name)
		if g, w := got[path.Join(root, renamed.Name)], want[group]; w.data == nil || !bytes.Equal(g.data, w.data) {
			t.Errorf("%s: %s: renamed weight's bytes differ", p, group)
		}
		for _, w := range old[2:] {
			name := path.Join(root, w.Name)
			if !bytes.Equal(got[name].data, want[name].data) {
				t.Errorf("%s: %s: bytes differ", p, name)
			}
		}
		vals, err := readBack(out, root, fresh.Name)
		if err != nil || !slices.Equal(vals, []float32(fresh.Src.(model.Values))) {
			t.Errorf("%s: new weight %s: %v, %v", p, fresh.Name, err, vals[:min(len(vals), 4)])
		}
		src.Close()
		return
	}
	t.Fatal("no fixture has a layer with two float32 weights")
}

func readBack(p, group, name string) ([]float32, error) {
	leave := enter()
	defer leave()
	f, err := hdf5.OpenFile(p, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, err := f.OpenGroup(group)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	infos, ok := datasetsInfo(hid(g.ID()), name)
	if !ok[0] {
		return nil, fmt.Errorf("cannot read dataset %q", name)
	}
	n := int64(1)
	for _, d := range infos[0].shape {
		n *= int64(d)
	}
	return readFloat32(hid(g.ID()), name, n)
}
