package model

import (
	"os/exec"
	"strings"
	"testing"
)

// The model and the packages that work on it stay free of HDF5 and cgo:
// only internal/h5model converts files.
func TestPurePackagesAvoidHDF5(t *testing.T) {
	for _, pkg := range []string{"jsonx", "model", "summary", "surgery"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/modelsurg/modelsurg/internal/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "gonum.org/v1/hdf5") || dep == "runtime/cgo" || strings.HasSuffix(dep, "/h5model") {
				t.Errorf("internal/%s depends on %s", pkg, dep)
			}
		}
	}
}
