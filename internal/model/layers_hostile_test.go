package model

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// hostileValues are config values a broken or malicious file may hold.
var hostileValues = []string{
	`null`, `true`, `"same"`, `"causal"`, `"channels_first"`, `""`, `0`, `1`, `2`, `3`, `-1`, `-2`, `7`,
	`1099511627776`, `9007199254740993`, `4611686018427387904`, `-9223372036854775808`, `1e300`, `NaN`,
	`Infinity`, `-Infinity`, `2.5`, `[]`, `[0]`, `[1, 1]`, `[-1, 2]`, `[3, 3]`, `[2, 2, 2]`, `[[1, 2], [3, 4]]`,
	`[[1], [2]]`, `[null, 3]`, `[1099511627776, 1099511627776]`, `[-1, -1]`, `{}`, `{"a": 1}`, `[[[]]]`,
	`[1, 2, 3, 4, 5, 6, 7]`, `["a", "b"]`,
}

var hostileKeys = []string{
	"units", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
	"depth_multiplier", "use_bias", "output_padding", "pool_size", "keepdims", "axis", "axes", "center",
	"scale", "renorm", "rms_scaling", "target_shape", "dims", "n", "shared_axes", "cropping", "size",
	"height", "width", "input_dim", "output_dim", "mean", "variance", "projection_dim", "function",
	"batch_input_shape", "batch_shape", "input_shape", "shape", "virtual_batch_size", "lora_rank",
	"quantization_config",
}

var hostileDims = []int{None, 0, 1, 2, 3, 4, 7, 16, 224, 1 << 31, 1 << 40, 1 << 53, (1 << 53) + 1, 1 << 62, -2, math.MaxInt}

// hostileShape decodes a shape: a rank byte (255 = unknown shape), then
// one byte per dimension: 0 is None, 1..199 the sizes 0..198, 200+ an
// entry of hostileDims.
func hostileShape(b []byte) Shape {
	if len(b) == 0 || b[0] == 255 {
		return nil
	}
	n := int(b[0] % 7)
	s := Shape{}
	for i := 0; i < n; i++ {
		var x byte
		if i+1 < len(b) {
			x = b[i+1]
		}
		switch {
		case x == 0:
			s = append(s, None)
		case x < 200:
			s = append(s, int(x)-1)
		default:
			s = append(s, hostileDims[int(x-200)%len(hostileDims)])
		}
	}
	return s
}

func encodeShape(s Shape) []byte {
	b := []byte{byte(len(s))}
	for _, d := range s {
		switch {
		case d == None:
			b = append(b, 0)
		case d < 199:
			b = append(b, byte(d+1))
		default:
			for j, h := range hostileDims {
				if h == d {
					b = append(b, byte(200+j))
				}
			}
		}
	}
	return b
}

// runHostile calls everything on one input and checks the invariants.
func runHostile(t testing.TB, class string, cfg *jsonx.Obj, in []Shape) {
	t.Helper()
	for _, d := range []Dialect{Keras2, Keras3} {
		out, err := InferLayer(class, cfg, in, d)
		if err != nil {
			checkErrorText(t, err)
			if !errors.Is(err, ErrUnknownLayer) && !errors.As(err, new(*ShapeError)) {
				t.Fatalf("%s %s %v: error %v of type %T", class, jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: cfg}), in, err, err)
			}
		} else {
			for _, s := range out {
				for _, x := range s {
					if x != None && (x < 0 || x > maxSize) {
						t.Fatalf("%s %v: output %v has dimension %d", class, in, out, x)
					}
				}
			}
		}
		ws, err := LayerWeights(class, cfg, in, d)
		if err != nil {
			checkErrorText(t, err)
			continue
		}
		total := 0
		for _, w := range ws {
			for _, x := range w.Shape {
				if x < 0 || x > maxSize {
					t.Fatalf("%s %v: weight %s has dimension %d", class, in, w.Name, x)
				}
			}
			if w.Shape != nil {
				n := 1
				for _, x := range w.Shape {
					n *= x
				}
				total += n
				if n > maxSize || total > maxSize {
					t.Fatalf("%s %v: weights too large but no error", class, in)
				}
			}
		}
	}
}

func TestHostileConfigs(t *testing.T) {
	shapes := [][]Shape{nil, {nil}, {{}}, {{None}}, {{None, 3}}, {{None, 8, 8, 3}}, {{None, None, None, None}},
		{{None, 5, 5, 5, 2}}, {{None, 1 << 40, 1 << 40, 3}}, {{None, 4, 3}, {None, 4, 3}}, {{None, 4, 3}, {None, 1 << 53, 3}},
		// Partly known calls: the weights are asked for without the shapes
		// being checked first (the fuzzer's crash in CI, rank 0 beside an
		// unknown tensor).
		{{}, nil}, {nil, {}}, {{}, nil, nil}, {nil, {}, nil}, {nil, nil, {}}, {{None}, nil}, {{None, None}, nil, {}}}
	partly := `{"use_scale": true, "num_heads": 2, "key_dim": 2, "units": 3, "filters": 4, "kernel_size": 3}`
	n := 0
	for _, class := range layerClasses() {
		for ki, key := range hostileKeys {
			for vi, val := range hostileValues {
				cfg := mustObj(t, fmt.Sprintf(`{"filters": 4, "kernel_size": 3, "units": 3, "pool_size": 2, %q: %s}`, key, val))
				// Every value meets a usual input and, in turn, every other input.
				runHostile(t, class, cfg, shapes[5])
				runHostile(t, class, cfg, shapes[(ki+vi+n)%len(shapes)])
				n++
			}
		}
		runHostile(t, class, nil, []Shape{{None, 3}})
		for _, in := range shapes {
			runHostile(t, class, &jsonx.Obj{}, in)
			runHostile(t, class, mustObj(t, partly), in)
		}
	}
}

// FuzzInferLayer: any class, any JSON config, any input shapes: no panic,
// and results or errors keep the invariants. Seeds are the Keras cases.
func FuzzInferLayer(f *testing.F) {
	classes := layerClasses()
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	for _, file := range []string{"k2.json", "k3.json"} {
		_, cases := loadLayerCases(f, file)
		for _, lc := range cases {
			var sb []byte
			for _, s := range lc.inputs {
				sb = append(sb, encodeShape(s)...)
			}
			f.Add(uint8(index[lc.class]), string(jsonx.Marshal(&jsonx.Value{Kind: jsonx.Object, Obj: lc.config})), sb)
		}
	}
	f.Add(uint8(0), `{"units": 1e400, "kernel_size": [NaN, -Infinity]}`, []byte{4, 1, 2, 3, 4, 4, 9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, ci uint8, cfgJSON string, shapes []byte) {
		class := classes[int(ci)%len(classes)]
		v, err := jsonx.Parse([]byte(cfgJSON))
		if err != nil || v.Kind != jsonx.Object {
			return
		}
		var in []Shape
		for len(shapes) > 0 && len(in) < 4 {
			s := hostileShape(shapes)
			in = append(in, s)
			n := 1
			if s != nil {
				n += len(s)
			}
			shapes = shapes[min(n, len(shapes)):]
		}
		runHostile(t, class, v.Obj, in)
	})
}
