package h5model

import (
	"testing"
)

// ReadRows, row by row or in one piece, gives the values ReadFloat32
// gives for every float32 weight of the fixtures, and refuses rows past
// the end.
func TestReadRows(t *testing.T) {
	for _, path := range fixtures(t) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range f.LayerNames {
			for _, w := range f.Groups[name] {
				if w.DType != "float32" {
					continue
				}
				want, err := ReadFloat32(w)
				if err != nil {
					t.Fatal(err)
				}
				rows, per := 1, 1
				if len(w.Shape) > 0 {
					rows = w.Shape[0]
					for _, d := range w.Shape[1:] {
						per *= d
					}
				}
				got := make([]float64, 0, len(want))
				for r := 0; r < rows; r++ {
					dst := make([]float64, per)
					if err := ReadRows(w, r, 1, dst); err != nil {
						t.Fatalf("%s: %s: %v", path, w.Name, err)
					}
					got = append(got, dst...)
				}
				for i := range want {
					if float32(got[i]) != want[i] {
						t.Fatalf("%s: %s[%d] = %v, want %v", path, w.Name, i, got[i], want[i])
					}
				}
				if err := ReadRows(w, rows, 1, make([]float64, per)); err == nil {
					t.Errorf("%s: %s: a row past the end was read", path, w.Name)
				}
			}
		}
		f.Close()
	}
}
