package summary

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/modeltest"
)

// The parameter totals of every Keras-made fixture, loaded in memory
// without cgo, are those of Keras's own summary of the file
// (testdata/golden/DIALECT/NAME.summary.txt).
func TestFixtureTotalsAreKeras(t *testing.T) {
	root, err := modeltest.Testdata()
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(root, "weights", "k[23]", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no manifests in testdata/weights; run testdata/gen_manifests.py")
	}
	for _, p := range paths {
		dialect, name := filepath.Base(filepath.Dir(p)), strings.TrimSuffix(filepath.Base(p), ".json")
		golden, err := os.ReadFile(filepath.Join(root, "golden", dialect, name+".summary.txt"))
		if err != nil {
			continue // Keras could not summarize it: no golden
		}
		t.Run(dialect+"/"+name, func(t *testing.T) {
			want := kerasTotals(t, string(golden))
			r, err := Build(modeltest.Load(t, dialect, name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]int64{r.Total, r.Trainable, r.NonTrainable}; got != want {
				t.Errorf("totals %v, Keras %v", got, want)
			}
		})
	}
}

var kerasTotal = regexp.MustCompile(`(?m)^ ?(Total|Trainable|Non-trainable) params: ([0-9,]+)`)

// kerasTotals reads total, trainable and non-trainable counts from a Keras summary.
func kerasTotals(t *testing.T, text string) [3]int64 {
	t.Helper()
	var out [3]int64
	found := 0
	for _, m := range kerasTotal.FindAllStringSubmatch(text, -1) {
		n, err := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[map[string]int{"Total": 0, "Trainable": 1, "Non-trainable": 2}[m[1]]] = n
		found++
	}
	if found != 3 {
		t.Fatalf("%d totals in the golden summary, want 3", found)
	}
	return out
}
