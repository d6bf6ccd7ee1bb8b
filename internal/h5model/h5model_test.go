package h5model

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

// fixtures are the Keras-made files of testdata/gen_fixtures.py.
func fixtures(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, d := range []string{"k2", "k3"} {
		m, _ := filepath.Glob(filepath.Join("..", "..", "testdata", d, "*.h5"))
		out = append(out, m...)
	}
	if len(out) < 20 {
		t.Fatalf("found %d fixtures; run make fixtures", len(out))
	}
	return out
}

func TestOpenFixtures(t *testing.T) {
	for _, path := range fixtures(t) {
		f, err := Open(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if f.Model != nil {
			// Keras matches weights by position in the order it recomputes
			// from the graph: ours must be the order Keras saved, without
			// the Keras 3 operations it saves no group for.
			names, _, err := savedLayers(f, f.Model)
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			if !slices.Equal(names, f.LayerNames) {
				t.Errorf("%s: order\n got %v\nwant %v", path, names, f.LayerNames)
			}
			if want := "3"; (f.Model.Dialect == model.Keras3) != (f.KerasVersion[:1] == want) {
				t.Errorf("%s: dialect %v for keras_version %s", path, f.Model.Dialect, f.KerasVersion)
			}
		}
		f.Close()
	}
}

// Saving a file unchanged keeps its config byte for byte, its layer list
// and every weight, and two saves give identical bytes.
func TestSaveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for i, path := range fixtures(t) {
		src, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a := filepath.Join(dir, filepath.Base(path)+string(rune('a'+i%26))+"1.h5")
		b := filepath.Join(dir, filepath.Base(path)+string(rune('a'+i%26))+"2.h5")
		for _, out := range []string{a, b} {
			if err := Save(out, src, src.Model, SaveOptions{}); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		got, err := Open(a)
		if err != nil {
			t.Fatalf("%s: reopen: %v", path, err)
		}
		if !slices.Equal(got.LayerNames, src.LayerNames) {
			t.Errorf("%s: layer_names changed", path)
		}
		for name, ws := range src.Groups {
			gs := got.Groups[name]
			if len(gs) != len(ws) {
				t.Errorf("%s: layer %s: %d weights, want %d", path, name, len(gs), len(ws))
				continue
			}
			for k := range ws {
				if gs[k].Name != ws[k].Name || !slices.Equal(gs[k].Shape, ws[k].Shape) || gs[k].DType != ws[k].DType {
					t.Errorf("%s: layer %s weight %d: %+v, want %+v", path, name, k, gs[k], ws[k])
				}
			}
		}
		if src.Model != nil {
			raw := rawConfig(t, path)
			if cfg := model.Marshal(got.Model); !bytes.Equal(cfg, raw) {
				t.Errorf("%s: model_config changed on a round trip", path)
			}
		}
		if got.HasOptimizer {
			t.Errorf("%s: optimizer weights written", path)
		}
		if got.HasTrainingConfig != src.HasTrainingConfig {
			t.Errorf("%s: training_config kept = %v, source has %v", path, got.HasTrainingConfig, src.HasTrainingConfig)
		}
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: two saves differ", path)
		}
		got.Close()
		src.Close()
	}
}

func rawConfig(t *testing.T, path string) []byte {
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	leave := enter()
	defer leave()
	v, _, err := readStrings(f.root(), "model_config")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(v[0])
}

func TestSaveRefusals(t *testing.T) {
	dir := t.TempDir()
	src, err := Open(fixtures(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := Save(src.Path, src, src.Model, SaveOptions{Force: true}); err == nil {
		t.Error("saving over the input succeeded")
	}
	out := filepath.Join(dir, "out.h5")
	os.WriteFile(out, []byte("keep me"), 0o644)
	if err := Save(out, src, src.Model, SaveOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("existing output: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Error("existing output was changed")
	}
	if err := Save(filepath.Join(dir, "missing", "out.h5"), src, src.Model, SaveOptions{}); err == nil {
		t.Error("missing folder accepted")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestOpenBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	cases := map[string]error{
		write("empty.h5", nil):                          ErrNotHDF5,
		write("text.h5", []byte("hello")):               ErrNotHDF5,
		write("png.h5", []byte("\x89PNG\r\n\x1a\n...")): ErrNotHDF5,
	}
	for p, want := range cases {
		if _, err := Open(p); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", p, err, want)
		}
	}
	full, _ := os.ReadFile(fixtures(t)[0])
	if _, err := Open(write("trunc.h5", full[:len(full)/2])); err == nil {
		t.Error("truncated file opened")
	}
	if _, err := Open(filepath.Join(dir, "nope.h5")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
