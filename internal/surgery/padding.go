package surgery

import (
	"fmt"

	"github.com/modelsurg/modelsurg/internal/model"
)

// paddingWarnings finds the ZeroPadding2D layers whose stored padding is
// what keras.applications' correct_pad computed for the old input size of
// the strided "valid" convolution after them (MobileNetV2, EfficientNet,
// ...), and says where Keras's application built for the new size would
// compute another padding. It simulates that build: correct_pad again at
// every such layer, in a copy of m, until the shapes settle (a padding
// changes the sizes after it). The configs of m are kept.
func paddingWarnings(old *model.Model, olds *model.Shapes, m *model.Model) []Warning {
	sites := padSites(old, olds, nil)
	if len(sites) == 0 {
		return nil
	}
	sim := model.Clone(m)
	keras := make([]*pad2D, len(sites))
	ins := make([]model.Shape, len(sites))
	for iter := 0; iter <= len(sites); iter++ {
		s, err := model.Infer(sim)
		if err != nil {
			break // Keras's own build fails somewhere at this size
		}
		changed := false
		for i, site := range sites {
			l, in := locate(sim, s, site.path)
			if l == nil {
				continue
			}
			want := correctPad(in, site.kernel, site.cf)
			keras[i], ins[i] = &want, in
			if cur, _ := l.Pad2D(); cur != want {
				l.SetPad2D(want)
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	var out []Warning
	for i, site := range sites {
		if keras[i] != nil && *keras[i] != site.stored {
			out = append(out, Warning{Layer: site.layer.Name, Class: site.layer.Class, Msg: fmt.Sprintf(
				"keeps padding %s, computed for the old input size; built for the new size, Keras's application would compute %s here (correct_pad for its %s input there)",
				site.stored, *keras[i], spatial(ins[i], site.cf))})
		}
	}
	return out
}

// padSite is a ZeroPadding2D layer computed by correct_pad: its place
// (layer indexes from the top model down), the kernel of the convolution
// after it and its stored padding.
type padSite struct {
	layer  *model.Layer
	path   []int
	kernel [2]int
	cf     bool
	stored pad2D
}

func padSites(m *model.Model, s *model.Shapes, path []int) []padSite {
	if s == nil {
		return nil
	}
	var out []padSite
	consumers := consumerKernels(m)
	for i, l := range m.Layers {
		p := append(path[:len(path):len(path)], i)
		if l.Sub != nil {
			out = append(out, padSites(l.Sub, s.Nested(l), p)...)
			continue
		}
		k, ok := consumers[l]
		if !ok || l.Class != "ZeroPadding2D" || len(l.Nodes) == 0 {
			continue
		}
		pad, ok := l.Pad2D()
		in := s.Inputs(model.NodeID{Layer: l, Node: 0})
		if !ok || len(in) != 1 || len(in[0]) != 4 {
			continue
		}
		cf := l.ChannelsFirst()
		if correctPad(in[0], k, cf) == pad {
			out = append(out, padSite{layer: l, path: p, kernel: k, cf: cf, stored: pad})
		}
	}
	return out
}

// locate finds the layer at path in m and the shape of its input.
func locate(m *model.Model, s *model.Shapes, path []int) (*model.Layer, model.Shape) {
	for j, idx := range path {
		if s == nil || idx >= len(m.Layers) {
			return nil, nil
		}
		l := m.Layers[idx]
		if j < len(path)-1 {
			if l.Sub == nil {
				return nil, nil
			}
			m, s = l.Sub, s.Nested(l)
			continue
		}
		if len(l.Nodes) == 0 {
			return nil, nil
		}
		in := s.Inputs(model.NodeID{Layer: l, Node: 0})
		if len(in) != 1 || len(in[0]) != 4 {
			return nil, nil
		}
		return l, in[0]
	}
	return nil, nil
}

type pad2D [2][2]int

func (p pad2D) String() string {
	return fmt.Sprintf("((%d, %d), (%d, %d))", p[0][0], p[0][1], p[1][0], p[1][1])
}

func spatial(s model.Shape, cf bool) string {
	a := 1
	if cf {
		a = 2
	}
	d := func(n int) string {
		if n == model.None {
			return "None"
		}
		return fmt.Sprint(n)
	}
	return d(s[a]) + "x" + d(s[a+1])
}

// correctPad is keras.applications.imagenet_utils.correct_pad.
func correctPad(in model.Shape, k [2]int, cf bool) pad2D {
	a := 1
	if cf {
		a = 2
	}
	adj := [2]int{1, 1}
	if in[a] != model.None {
		adj = [2]int{1 - in[a]%2, 1 - in[a+1]%2}
	}
	c := [2]int{k[0] / 2, k[1] / 2}
	return pad2D{{c[0] - adj[0], c[0]}, {c[1] - adj[1], c[1]}}
}

// consumerKernels maps each ZeroPadding2D layer whose every consumer is a
// "valid", strided 2D convolution (the correct_pad pattern) to its kernel size.
func consumerKernels(m *model.Model) map[*model.Layer][2]int {
	kernels := map[*model.Layer][2]int{}
	bad := map[*model.Layer]bool{}
	for _, l := range m.Layers {
		for i := range l.Nodes {
			parents := m.Parents(model.NodeID{Layer: l, Node: i})
			for _, p := range parents {
				if p.Layer.Class != "ZeroPadding2D" {
					continue
				}
				k, ok := stridedValidKernel(l)
				if !ok || (kernels[p.Layer] != [2]int{} && kernels[p.Layer] != k) {
					bad[p.Layer] = true
					continue
				}
				kernels[p.Layer] = k
			}
		}
	}
	for l := range bad {
		delete(kernels, l)
	}
	return kernels
}

func stridedValidKernel(l *model.Layer) ([2]int, bool) {
	switch l.Class {
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D":
	default:
		return [2]int{}, false
	}
	if p, _ := l.Config.String("padding"); p != "valid" {
		return [2]int{}, false
	}
	k, ok1 := l.IntPair("kernel_size")
	s, ok2 := l.IntPair("strides")
	if !ok1 || !ok2 || (s[0] <= 1 && s[1] <= 1) {
		return [2]int{}, false
	}
	return k, true
}
