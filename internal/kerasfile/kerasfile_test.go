package kerasfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every .keras fixture Keras wrote opens, its weights member located on
// the HDF5 signature.
func TestOpenFixtures(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/k3/*.keras")
	if len(paths) == 0 {
		t.Fatal("no testdata/k3/*.keras fixtures (testdata/gen_fixtures.py --keras-only)")
	}
	for _, p := range paths {
		a, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		fh, _ := os.Open(p)
		sig := make([]byte, 8)
		fh.ReadAt(sig, a.WeightsOffset)
		fh.Close()
		if string(sig) != "\x89HDF\r\n\x1a\n" {
			t.Errorf("%s: weights at %d start %q", p, a.WeightsOffset, sig)
		}
		if !strings.HasPrefix(a.KerasVersion, "3.") || a.DateSaved == "" || len(a.Config) == 0 {
			t.Errorf("%s: version %q date %q config %d bytes", p, a.KerasVersion, a.DateSaved, len(a.Config))
		}
	}
}

// zipOf builds an archive of name, data pairs with archive/zip.
func zipOf(t *testing.T, method uint16, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(members); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: members[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, members[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadRefuses(t *testing.T) {
	ok := []string{"metadata.json", `{"keras_version": "3.15.1"}`, "config.json", "{}", "model.weights.h5", "\x89HDF"}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"no config", zipOf(t, zip.Store, "model.weights.h5", "x"), "no config.json member"},
		{"no weights", zipOf(t, zip.Store, "config.json", "{}"), "no model.weights.h5 member"},
		{"deflated", zipOf(t, zip.Deflate, ok...), `member "metadata.json" is compressed (method 8)`},
		{"traversal", zipOf(t, zip.Store, append(ok, "../x", "")...), `member "../x": unsafe name`},
		{"traversal inside", zipOf(t, zip.Store, append(ok, "assets/../../x", "")...), "unsafe name"},
		{"absolute", zipOf(t, zip.Store, append(ok, "/etc/x", "")...), "unsafe name"},
		{"sharded", zipOf(t, zip.Store, append(ok, "model.weights.json", "{}")...), "sharded weights are not supported"},
		{"npz", zipOf(t, zip.Store, "config.json", "{}", "model.weights.npz", "")[0:], "npz weights are not supported"},
		{"assets", zipOf(t, zip.Store, append(ok, "assets/vocab.txt", "a")...), "models with assets are not supported"},
		{"truncated", zipOf(t, zip.Store, ok...)[:40], "not a readable zip archive"},
		{"not zip", []byte("PK\x03\x04 nothing else"), "not a readable zip archive"},
	}
	for _, c := range cases {
		_, err := read(bytes.NewReader(c.data), int64(len(c.data)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// A member that declares more bytes than the archive holds, as a zip bomb
// or a cut member does, is refused before anything is read.
func TestReadDeclaredLength(t *testing.T) {
	data := zipOf(t, zip.Store, "metadata.json", "{}", "config.json", "{}", "model.weights.h5", "\x89HDF")
	for _, member := range []string{"config.json", "model.weights.h5"} {
		bad := setSize(t, data, member, 1<<31)
		_, err := read(bytes.NewReader(bad), int64(len(bad)))
		if err == nil || !strings.Contains(err.Error(), member) {
			t.Errorf("%s declared 2 GiB: got %v", member, err)
		}
	}
}

// setSize rewrites member's sizes in its local and central headers.
func setSize(t *testing.T, data []byte, member string, size uint32) []byte {
	t.Helper()
	out := bytes.Clone(data)
	le := binary.LittleEndian
	for i := 0; i+46 < len(out); i++ {
		switch le.Uint32(out[i:]) {
		case 0x04034b50:
			n := int(le.Uint16(out[i+26:]))
			if string(out[i+30:i+30+n]) == member {
				le.PutUint32(out[i+18:], size)
				le.PutUint32(out[i+22:], size)
			}
		case 0x02014b50:
			n := int(le.Uint16(out[i+28:]))
			if string(out[i+46:i+46+n]) == member {
				le.PutUint32(out[i+20:], size)
				le.PutUint32(out[i+24:], size)
			}
		}
	}
	return out
}

// writeArchive writes an archive around weights as SaveKeras3 does.
func writeArchive(t *testing.T, path string, meta, cfg, weights []byte) {
	t.Helper()
	w, err := NewWriter(meta, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteAt(weights, UserBlock); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(fh, nil); err != nil {
		t.Fatal(err)
	}
}

// What Writer writes reads back with archive/zip (CRCs checked) and with
// Open, every member stored and dated 1980, the weights at UserBlock; the
// same input gives the same bytes.
func TestWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	meta := Metadata("3.15.1", "2026-01-02@03:04:05")
	cfg := bytes.Repeat([]byte(`{"a": 1}`), 40000) // larger than any padding
	weights := append([]byte("\x89HDF\r\n\x1a\n"), bytes.Repeat([]byte{7}, 3000)...)
	a, b := filepath.Join(dir, "a.keras"), filepath.Join(dir, "b.keras")
	writeArchive(t, a, meta, cfg, weights)
	writeArchive(t, b, meta, cfg, weights)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two writes of the same archive differ")
	}
	zr, err := zip.OpenReader(a)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string][]byte{MetadataName: meta, ConfigName: cfg, WeightsName: weights}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(got, want[f.Name]) || f.Method != zip.Store || f.Modified.Year() != 1980 {
			t.Errorf("%s: %d bytes, method %d, %v", f.Name, len(got), f.Method, f.Modified)
		}
		delete(want, f.Name)
	}
	if len(want) > 0 {
		t.Errorf("members missing: %v", want)
	}
	ar, err := Open(a)
	if err != nil {
		t.Fatal(err)
	}
	if ar.WeightsOffset != UserBlock || ar.WeightsSize != int64(len(weights)) || ar.DateSaved != "2026-01-02@03:04:05" {
		t.Errorf("weights at %d, %d bytes, date %q", ar.WeightsOffset, ar.WeightsSize, ar.DateSaved)
	}
}

func TestMetadataDate(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if got := string(Metadata("3.15.1", "")); got != `{"keras_version": "3.15.1", "date_saved": "1980-01-01@00:00:00"}` {
		t.Errorf("no date: %s", got)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "86400")
	if got := string(Metadata("3.15.1", "2026-01-02@03:04:05")); !strings.Contains(got, `"1970-01-02@00:00:00"`) {
		t.Errorf("SOURCE_DATE_EPOCH: %s", got)
	}
}

// Config gives an .h5 model_config Keras's envelope, and DropBuild takes
// every build_config out, nested ones too; ModelConfig drops compile_config.
func TestConfig(t *testing.T) {
	h5 := `{"class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": "Dense", "config": {}, "build_config": {"input_shape": [null, 3]}}]}, "build_config": {"input_shape": null}}`
	got, err := Config([]byte(h5), ConfigOptions{DropBuild: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": "Dense", "config": {}}]}, "registered_name": "Functional"}`
	if string(got) != want {
		t.Errorf("Config:\n got %s\nwant %s", got, want)
	}
	seq := `{"module": "keras", "class_name": "Sequential", "config": {}, "registered_name": null, "compile_config": {"loss": "mse"}}`
	got, _ = Config([]byte(seq), ConfigOptions{Compile: CompileConfig([]byte(seq))})
	if string(got) != seq {
		t.Errorf("Config keeps a .keras config as it is:\n got %s\nwant %s", got, seq)
	}
	got, _ = ModelConfig([]byte(seq), false)
	if strings.Contains(string(got), "compile_config") {
		t.Errorf("ModelConfig kept compile_config: %s", got)
	}
}
