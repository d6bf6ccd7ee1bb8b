// Package numeric rounds float32 weights to the narrower floating types
// Keras stores (float16, bfloat16) as numpy's astype does: round to
// nearest, ties to even, overflow to infinity, NaN kept a NaN.
package numeric

import (
	"math"

	"github.com/x448/float16"
)

// Types are the dtype names Round knows.
var Types = []string{"float16", "bfloat16", "float32"}

// Known reports whether Round knows the dtype name.
func Known(dtype string) bool {
	for _, t := range Types {
		if t == dtype {
			return true
		}
	}
	return false
}

// Round returns v rounded to dtype and widened back to float32: the values
// a Keras variable of that dtype holds. float32 returns a copy of v.
func Round(v []float32, dtype string) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		switch dtype {
		case "float16":
			out[i] = float16.Frombits(Float16(x)).Float32()
		case "bfloat16":
			out[i] = math.Float32frombits(uint32(BFloat16(x)) << 16)
		default:
			out[i] = x
		}
	}
	return out
}

// Float16 is x rounded to IEEE binary16, as its bits. A NaN keeps its
// sign and the top of its payload, as numpy keeps them.
func Float16(x float32) uint16 {
	if x != x {
		b := math.Float32bits(x)
		h := uint16(b>>16)&0x8000 | 0x7c00 | uint16(b>>13)&0x03ff
		if h&0x03ff == 0 {
			h |= 1 // still a NaN, not an infinity
		}
		return h
	}
	return uint16(float16.Fromfloat32(x))
}

// BFloat16 is x rounded to bfloat16 (the upper half of a float32), as its
// bits. A NaN becomes the quiet NaN of its sign, as ml_dtypes makes it.
func BFloat16(x float32) uint16 {
	b := math.Float32bits(x)
	if x != x {
		return uint16(b>>16)&0x8000 | 0x7fc0
	}
	// Add half of the dropped part, and one more when the kept part is
	// odd, so that ties go to even; a carry into the exponent is correct
	// (the largest finite values round to infinity).
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
