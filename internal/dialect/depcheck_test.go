package dialect

import (
	"os/exec"
	"strings"
	"testing"
)

// The dialect rules stay free of HDF5 and cgo, as the model they read:
// only internal/h5model converts files.
func TestPurePackagesAvoidHDF5(t *testing.T) {
	for _, pkg := range []string{"dialect"} {
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
