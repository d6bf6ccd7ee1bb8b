package numeric

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestAgainstNumpy: every case of testdata/cases.json (numpy's astype to
// float16 and ml_dtypes's to bfloat16, by testdata/gen_cast_cases.py)
// rounds to the same bits.
func TestAgainstNumpy(t *testing.T) {
	raw, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][3]uint32
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 4000 {
		t.Fatalf("%d cases", len(rows))
	}
	bad := 0
	for _, r := range rows {
		x := math.Float32frombits(r[0])
		if h := Float16(x); uint32(h) != r[1] {
			t.Errorf("float16(%#08x = %g) = %#04x, numpy %#04x", r[0], x, h, r[1])
			bad++
		}
		if b := BFloat16(x); uint32(b) != r[2] {
			t.Errorf("bfloat16(%#08x = %g) = %#04x, ml_dtypes %#04x", r[0], x, b, r[2])
			bad++
		}
		if bad > 20 {
			t.Fatal("too many")
		}
	}
}

// TestRound: Round widens what Float16 and BFloat16 give, exactly.
func TestRound(t *testing.T) {
	v := []float32{1.00048828125, 65520, -3.0001, float32(math.Inf(-1))}
	h := Round(v, "float16")
	b := Round(v, "bfloat16")
	want16 := []float32{1, float32(math.Inf(1)), -3, float32(math.Inf(-1))}
	want := []float32{1, 65536, -3, float32(math.Inf(-1))}
	for i := range v {
		if h[i] != want16[i] || b[i] != want[i] {
			t.Errorf("Round(%g) = %g (float16), %g (bfloat16); want %g, %g", v[i], h[i], b[i], want16[i], want[i])
		}
	}
	if c := Round(v, "float32"); &c[0] == &v[0] || c[2] != v[2] {
		t.Error("float32: not a copy")
	}
}
