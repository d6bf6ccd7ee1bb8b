package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
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
// the three totals and every layer's parameter count, number for number.
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

// TestSummaryEarlyTable checks the premise of summary's early table: the
// report built from the config alone, while the weights are being read,
// is the one built from the file whenever the config implies every weight.
// The fixtures are float32, so the two must be equal; Lambda and weights-only
// files must take the other path.
func TestSummaryEarlyTable(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/k[23]/*.h5")
	if len(files) < 20 {
		t.Fatalf("found %d fixtures", len(files))
	}
	early := 0
	for _, path := range files {
		for _, expand := range []bool{false, true} {
			var er *summary.Report
			f, err := h5model.OpenWith(path, h5model.OpenOptions{Parsed: func(m *model.Model, s *model.Shapes) {
				er, _ = summary.Build(m, summary.Options{ExpandNested: expand, Shapes: s, FromConfig: true})
			}})
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
			if f.WeightsOnly() || strings.Contains(path, "lambda") {
				if er != nil {
					t.Errorf("%s: a report from the config alone, want none", name)
				}
				continue
			}
			r, err := summary.Build(f.Model, summary.Options{ExpandNested: expand, Shapes: f.Shapes})
			if err != nil {
				t.Fatal(err)
			}
			if er == nil {
				t.Errorf("%s: no report from the config alone", name)
				continue
			}
			if !reflect.DeepEqual(er, r) {
				t.Errorf("%s (expand %v): the report from the config differs from the file's", name, expand)
			}
			early++
		}
	}
	t.Logf("%d reports built early", early)
}
