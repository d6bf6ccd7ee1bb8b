package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/summary"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/modelsurg (our own tables)")

func summaryText(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"summary"}, args...), &out, &errb); code != 0 {
		t.Fatalf("summary %v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

var (
	totalRE = regexp.MustCompile(`(?m)^ ?(Total|Trainable|Non-trainable) params: ([\d,]+)`)
	// the memory size after a total: "(97.80 MB)"; tf-keras writes "Byte" for B
	sizeRE = regexp.MustCompile(`(?m)^ ?(Total|Trainable|Non-trainable) params: [\d,]+ \(([\d.]+ [A-Za-z]+)\)`)
	// a row's first line: "name (Class)", output shape, param count
	k2RowRE  = regexp.MustCompile(`(?m)^ (\S+) \(\w+\)\s+(?:\[?\(.*?\)\]?|multiple|\?)\s+(\d+)`)
	k3RowRE  = regexp.MustCompile(`(?m)^│ (\S+) \(\w+\)\s+│[^│]*│\s+([\d,]+) │`)
	ourRowRE = regexp.MustCompile(`(?m)^\| +(\S+) \(\w+\)\s+\|[^|]*\|\s+([\d,]+) \|`)
)

func numbers(re *regexp.Regexp, text string) map[string]string {
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out[m[1]] = strings.ReplaceAll(m[2], ",", "")
	}
	return out
}

// TestSummaryMatchesKeras compares our table with the one Keras printed for
// the same fixture (testdata/golden/{k2,k3}, written by gen_fixtures.py):
// the three totals with their memory sizes and
// every layer's parameter count, number for number.
func TestSummaryMatchesKeras(t *testing.T) {
	goldens, _ := filepath.Glob("../../testdata/golden/k*/*.summary.txt")
	if len(goldens) < 10 {
		t.Fatalf("found %d Keras summaries; run make fixtures", len(goldens))
	}
	for _, g := range goldens {
		keras, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		dialect := filepath.Base(filepath.Dir(g))
		name := strings.TrimSuffix(filepath.Base(g), ".summary.txt")
		ours := summaryText(t, filepath.Join("../../testdata", dialect, name+".h5"))
		want, got := numbers(totalRE, string(keras)), numbers(totalRE, ours)
		if len(want) != 3 || !equalMaps(want, got) {
			t.Errorf("%s/%s: totals %v, Keras %v", dialect, name, got, want)
		}
		wantSize := numbers(sizeRE, strings.ReplaceAll(string(keras), " Byte)", " B)"))
		if gotSize := numbers(sizeRE, ours); len(wantSize) != 3 || !equalMaps(wantSize, gotSize) {
			t.Errorf("%s/%s: memory sizes %v, Keras %v", dialect, name, gotSize, wantSize)
		}
		rowRE := k2RowRE
		if dialect == "k3" {
			rowRE = k3RowRE
		}
		wantRows, gotRows := numbers(rowRE, string(keras)), numbers(ourRowRE, ours)
		if len(wantRows) == 0 {
			t.Errorf("%s/%s: no rows parsed from Keras's table", dialect, name)
		}
		for layer, n := range wantRows {
			if gotRows[layer] != n {
				t.Errorf("%s/%s: layer %s: %s params, Keras %s", dialect, name, layer, gotRows[layer], n)
			}
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSummaryGolden keeps our own tables stable (go test -update rewrites them).
func TestSummaryGolden(t *testing.T) {
	cases := map[string][]string{
		"k2_branches.txt":        {"../../testdata/k2/branches.h5"},
		"k3_nested_expanded.txt": {"../../testdata/k3/nested.h5", "--expand-nested", "--trainable"},
		"k2_sequential_cnn.txt":  {"../../testdata/k2/sequential_cnn.h5"},
		"k3_weights_only.txt":    {"../../testdata/k3/weights_only.h5"},
		"k2_lambda.json":         {"../../testdata/k2/lambda.h5", "--format", "json"},
		"k3_multi_io_first2.txt": {"../../testdata/k3/multi_io.h5", "--first", "2", "--last", "1"},
	}
	for name, args := range cases {
		got := summaryText(t, args...)
		path := filepath.Join("../../testdata/golden/modelsurg", name)
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update once)", err)
		}
		if got != string(want) {
			t.Errorf("summary %v changed:\n--- want\n%s--- got\n%s", args, want, got)
		}
	}
}

// TestSummaryFromConfig checks what summary's reading of the config alone
// rests on: on every fixture, each layer's parameter count derived from the
// config is that of the weights saved for it, and the only groups summary
// reads are those of layers whose weights the config cannot give.
func TestSummaryFromConfig(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/k[23]/*.h5")
	if len(files) < 20 {
		t.Fatalf("found %d fixtures", len(files))
	}
	reads := 0
	for _, path := range files {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		cf, err := h5model.OpenConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if cf.WeightsOnly() {
			cf.Close()
			continue
		}
		var read []string
		r, err := summary.Build(cf.Model, summary.Options{Shapes: cf.Shapes, Weights: func(l *model.Layer) ([]*model.Weight, error) {
			read = append(read, l.Name)
			return cf.ReadGroup(l.Name)
		}})
		cf.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := h5model.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		for _, row := range r.Rows {
			var n int64
			for _, w := range f.Groups[row.Name] {
				n += w.Size()
			}
			if row.Params != n {
				t.Errorf("%s: layer %s: %d params from the config, %d saved", name, row.Name, row.Params, n)
			}
		}
		for _, l := range read {
			if _, err := model.ConfigParams(f.Model, f.Model.Layer(l), f.Shapes); err == nil {
				t.Errorf("%s: summary read the weights of layer %s, which the config gives", name, l)
			}
		}
		reads += len(read)
	}
	if reads == 0 {
		t.Error("no fixture had a layer whose weights summary had to read (a Lambda)")
	}
}

// TestReadGroup checks the weights summary reads for one layer: none for a
// layer that layer_names does not list, an error naming the layer for one
// it lists without a group, as Open reports them.
func TestReadGroup(t *testing.T) {
	for _, c := range []struct{ file, layer, err string }{
		{"bad/group_missing.h5", "dense", ""},
		{"bad/layer_names_ghost.h5", "dense", `layer "dense": layer_names lists it but the file has no weights group for it`},
		{"bad/weight_missing.h5", "dense", `layer "dense": weight "sequential_cnn/dense/kernel" is listed in weight_names but missing`},
		{"k2/lambda.h5", "dense", ""},
	} {
		f, err := h5model.OpenConfig(filepath.Join("../../testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		ws, err := f.ReadGroup(c.layer)
		f.Close()
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%s: err %v, want %s", c.file, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.file, err)
		case c.file == "bad/group_missing.h5" && ws != nil:
			t.Errorf("%s: weights %v for a layer layer_names does not list", c.file, ws)
		case c.file == "k2/lambda.h5" && len(ws) != 2:
			t.Errorf("%s: %d weights for dense, want its kernel and bias", c.file, len(ws))
		}
	}
}
