package surgery

import (
	"math"
	"math/rand/v2"
)

// DefaultSeed is the seed new weights are drawn from when none is given.
const DefaultSeed = 0

// seedStream is the second PCG word; it only makes modelsurg's streams
// differ from other programs seeded with the same number.
const seedStream = 0x6d6f64656c737267 // "modelsrg"

// newRNG returns the deterministic generator new weights are drawn from:
// the same seed gives the same numbers on every platform and Go version
// (math/rand/v2's PCG is specified bit for bit).
func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}

// glorotUniform draws a (fanIn, fanOut) Dense kernel as Keras's default
// GlorotUniform initializer does: uniform in [-limit, limit) with
// limit = sqrt(6 / (fanIn + fanOut)), stored as float32 row-major.
func glorotUniform(r *rand.Rand, fanIn, fanOut int) []float32 {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	out := make([]float32, fanIn*fanOut)
	for i := range out {
		out[i] = float32((2*r.Float64() - 1) * limit)
	}
	return out
}

// zeros is Keras's default bias initializer.
func zeros(n int) []float32 { return make([]float32, n) }
