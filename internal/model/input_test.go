package model

import (
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// A new input takes the dtype its layer computes in, not the first input's.
func TestComputeDType(t *testing.T) {
	for cfg, want := range map[string]string{
		`{}`:                   "float32",
		`{"dtype": "float64"}`: "float64",
		`{"dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}}}`:       "float16",
		`{"dtype": {"class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}}}`: "bfloat16",
		`{"dtype": {"class_name": "DTypePolicy", "config": {"name": "int32"}}}`:          "int32",
	} {
		v, err := jsonx.Parse([]byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		if got := computeDType(&Layer{Config: v.Obj}); got != want {
			t.Errorf("%s: %q, want %q", cfg, got, want)
		}
	}
}
