package modelfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/h5model"
)

// A file is opened by what it holds: a .keras archive under an .h5 name
// reads as the archive, and the output container follows the extension.
func TestOpenByContentSaveByName(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../testdata/k3/branches.keras")
	if err != nil {
		t.Fatal(err)
	}
	disguised := filepath.Join(dir, "branches.h5")
	os.WriteFile(disguised, data, 0o644)
	f, err := Open(disguised)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.IsKeras3() {
		t.Fatal("a .keras archive named .h5 did not open as .keras")
	}
	for _, out := range []string{"a.h5", "b.KERAS", "c.weights"} {
		p := filepath.Join(dir, out)
		if err := Copy(p, f, h5model.SaveOptions{}); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		g, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if g.IsKeras3() != IsKerasPath(out) {
			t.Errorf("%s: written as .keras: %v", out, g.IsKeras3())
		}
		g.Close()
	}
}

func TestKeras2NotKeras(t *testing.T) {
	f, err := Open("../../testdata/k2/sequential_cnn.h5")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "x.keras")
	err = Copy(out, f, h5model.SaveOptions{})
	if err == nil || !strings.Contains(err.Error(), "a Keras 2 model cannot be saved as .keras") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written")
	}
}
