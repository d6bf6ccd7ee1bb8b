package modeltest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const repo = "github.com/modelsurg/modelsurg/internal/"

// The packages tested on in-memory models build, tests included, without
// cgo, HDF5 or internal/h5model: `CGO_ENABLED=0 go test` runs them.
func TestPurePackagesBuildWithoutCgo(t *testing.T) {
	pkgs := []string{repo + "surgery", repo + "summary", repo + "model", repo + "modeltest"}
	args := append([]string{"list", "-deps", "-test", "-e", "-f", "{{.ImportPath}}\t{{with .Error}}{{.Err}}{{end}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		dep, msg, _ := strings.Cut(line, "\t")
		if strings.HasPrefix(dep, "gonum.org/v1/hdf5") || dep == "runtime/cgo" || strings.HasSuffix(dep, "/h5model") {
			t.Errorf("a pure package or its tests depend on %s", dep)
		}
		if msg != "" {
			t.Errorf("%s does not build with CGO_ENABLED=0: %s", dep, msg)
		}
	}
}

// Surgery and summary, and their tests, reach configs through
// internal/model only: model is the one reader and writer of Keras JSON.
func TestPureTestsImportNoJSONX(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}", repo+"surgery", repo+"summary").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if imp == repo+"jsonx" || imp == repo+"h5model" {
				t.Errorf("%s or its tests import %s", pkg, imp)
			}
		}
	}
}
