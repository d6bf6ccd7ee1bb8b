package diff

import (
	"os/exec"
	"strings"
	"testing"
)

// diff is pure Go: weight values come through a ReadFunc, never HDF5.
func TestNoHDF5(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/modelsurg/modelsurg/internal/diff").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "gonum.org/v1/hdf5") || dep == "runtime/cgo" || strings.HasSuffix(dep, "/h5model") {
			t.Errorf("internal/diff depends on %s", dep)
		}
	}
}
