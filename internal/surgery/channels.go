package surgery

import (
	"errors"
	"fmt"

	"github.com/modelsurg/modelsurg/internal/model"
)

// AdaptMode is how ReshapeInput adapts the weights that read the input
// channels when their number changes, after timm's adapt_input_conv.
type AdaptMode string

const (
	// AdaptNone refuses a channel change that the weights cannot take.
	AdaptNone AdaptMode = ""
	// AdaptSum makes 1 channel: a kernel is summed over its input channels.
	AdaptSum AdaptMode = "sum"
	// AdaptMean makes 1 channel: a kernel is averaged over its input channels.
	AdaptMean AdaptMode = "mean"
	// AdaptRepeat makes N channels: a kernel's input channels are repeated
	// cyclically and scaled by C/N (C the old count; timm's 3/N).
	AdaptRepeat AdaptMode = "repeat"
)

// ParseAdaptMode reads an --adapt-channels value.
func ParseAdaptMode(s string) (AdaptMode, error) {
	m := AdaptMode(s)
	if m == AdaptNone {
		return m, errors.New("empty adapt mode (want sum, mean or repeat)")
	}
	return m, m.valid()
}

func (m AdaptMode) valid() error {
	switch m {
	case AdaptNone, AdaptSum, AdaptMean, AdaptRepeat:
		return nil
	}
	return fmt.Errorf("unknown adapt mode %q (want sum, mean or repeat)", string(m))
}

// channelChange is one input whose last dimension goes from one known
// size to another.
type channelChange struct {
	slot     model.InputSlot
	from, to int
}

// passThrough are the classes that treat each channel on its own, have no
// weights and keep the channel axis last: the walk from the input goes
// through them to the layers that read the channels.
var passThrough = map[string]bool{
	"Activation": true, "ReLU": true, "LeakyReLU": true, "ELU": true, "ThresholdedReLU": true,
	"Dropout": true, "GaussianNoise": true, "GaussianDropout": true, "AlphaDropout": true,
	"ActivityRegularization": true, "Identity": true, "Masking": true,
	"SpatialDropout1D": true, "SpatialDropout2D": true, "SpatialDropout3D": true,
	"ZeroPadding1D": true, "ZeroPadding2D": true, "ZeroPadding3D": true,
	"Cropping1D": true, "Cropping2D": true, "Cropping3D": true,
	"UpSampling1D": true, "UpSampling2D": true, "UpSampling3D": true,
	"MaxPooling1D": true, "MaxPooling2D": true, "MaxPooling3D": true,
	"AveragePooling1D": true, "AveragePooling2D": true, "AveragePooling3D": true,
	"MaxPool1D": true, "MaxPool2D": true, "MaxPool3D": true,
	"AvgPool1D": true, "AvgPool2D": true, "AvgPool3D": true,
	"GlobalAveragePooling1D": true, "GlobalAveragePooling2D": true, "GlobalAveragePooling3D": true,
	"GlobalMaxPooling1D": true, "GlobalMaxPooling2D": true, "GlobalMaxPooling3D": true,
	"GlobalAvgPool1D": true, "GlobalAvgPool2D": true, "GlobalAvgPool3D": true,
	"GlobalMaxPool1D": true, "GlobalMaxPool2D": true, "GlobalMaxPool3D": true,
	"Resizing": true, "CenterCrop": true,
}

var convReaders = map[string]bool{"Conv1D": true, "Conv2D": true, "Conv3D": true}

// adaptChannels adapts, in m (a clone being reshaped), every layer that
// reads the channels of input a: convolutions get timm's kernel rule;
// per-channel statistics (Normalization, BatchNormalization) and
// per-channel Rescaling lists are averaged (1 channel) or repeated
// cyclically (N channels); a nested model is adapted inside. Any other
// reader is refused.
func adaptChannels(m *model.Model, a channelChange, mode AdaptMode, read func(*model.Weight) ([]float32, error)) error {
	_, err := adaptModel(m, a, mode, read, 0)
	return err
}

// adaptModel is adaptChannels; reached reports that the input channels
// reach an output of m unchanged (through pass-through layers only).
func adaptModel(m *model.Model, a channelChange, mode AdaptMode, read func(*model.Weight) ([]float32, error), depth int) (reached bool, err error) {
	switch {
	case (mode == AdaptSum || mode == AdaptMean) && a.to != 1:
		return false, fmt.Errorf("input %q: {Adapt} %s makes 1 channel, the new shape has %d (use repeat)", a.slot.Layer.Name, mode, a.to)
	case mode == AdaptRepeat && a.to < 2:
		return false, fmt.Errorf("input %q: {Adapt} repeat makes 2 or more channels, the new shape has %d (use sum or mean)", a.slot.Layer.Name, a.to)
	}
	if read == nil {
		return false, errors.New("{Adapt} needs the weights' values, and no reader was given")
	}
	s, err := model.Infer(m)
	if err != nil {
		return false, refuse(err, "")
	}
	outs := m.OutputIDs()
	isOut := map[model.NodeID]bool{}
	for _, o := range outs {
		isOut[o] = true
	}
	consumers := map[model.NodeID][]model.NodeID{}
	for _, l := range m.Layers {
		for i := range l.Nodes {
			id := model.NodeID{Layer: l, Node: i}
			parents := m.Parents(id)
			seen := map[model.NodeID]bool{}
			for _, p := range parents {
				if !seen[p] {
					seen[p] = true
					consumers[p] = append(consumers[p], id)
				}
			}
		}
	}
	ad := &adapter{m: m, s: s, from: a.from, to: a.to, mode: mode, read: read, done: map[*model.Layer]bool{}, depth: depth}
	var queue []model.NodeID
	if a.slot.Layer.Class == "InputLayer" {
		in := model.NodeID{Layer: a.slot.Layer, Node: -1}
		reached = isOut[in]
		queue = consumers[in]
	} else {
		queue = []model.NodeID{{Layer: a.slot.Layer, Node: 0}} // old Sequential: the first layer reads the input
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		l := id.Layer
		if ad.done[l] {
			continue
		}
		ad.done[l] = true
		pass, err := ad.layer(id)
		if err != nil {
			return false, err
		}
		if pass {
			reached = reached || isOut[id]
			queue = append(queue, consumers[id]...)
		}
	}
	return reached, nil
}

type adapter struct {
	m        *model.Model
	s        *model.Shapes
	from, to int
	mode     AdaptMode
	read     func(*model.Weight) ([]float32, error)
	done     map[*model.Layer]bool
	depth    int
}

func (ad *adapter) refusef(l *model.Layer, format string, args ...any) error {
	return refuse(shapeErr(l, format, args...), "")
}

// layer adapts one layer that receives the input channels; pass reports
// whether its output still carries them (the walk goes on).
func (ad *adapter) layer(id model.NodeID) (pass bool, err error) {
	l := id.Layer
	if len(l.Nodes) > 1 {
		return false, ad.refusef(l, "reads the input channels and is called %d times; {Adapt} cannot adapt a shared layer", len(l.Nodes))
	}
	if id.Node >= 0 && len(l.Nodes[id.Node].Inputs) > 1 {
		return false, ad.refusef(l, "combines the input channels with other tensors; {Adapt} cannot adapt it")
	}
	if l.ChannelsFirst() {
		return false, ad.refusef(l, "reads the input channels with data_format channels_first; {Adapt} only handles channels_last")
	}
	in := ad.s.Inputs(id)
	rank := 0
	if len(in) == 1 && in[0] != nil {
		rank = len(in[0])
	}
	switch {
	case l.Sub != nil:
		return ad.nested(l)
	case convReaders[l.Class]:
		return false, ad.conv(l)
	case l.Class == "Normalization":
		return true, ad.normalization(l, rank)
	case l.Class == "BatchNormalization":
		return true, ad.batchNorm(l, rank)
	case l.Class == "Rescaling":
		return true, ad.rescaling(l)
	case passThrough[l.Class]:
		if len(l.Weights) > 0 {
			return false, ad.refusef(l, "reads the input channels and has weights; {Adapt} cannot adapt them")
		}
		return true, nil
	}
	return false, ad.refusef(l, "reads the input channels; {Adapt} can only adapt Conv1D/2D/3D, Normalization, BatchNormalization and Rescaling")
}

// nested adapts inside a nested model called on the input channels. Its
// weights live in its one group: they are handed to the sublayers that own
// them, adapted there, and gathered back in the same order.
func (ad *adapter) nested(l *model.Layer) (pass bool, err error) {
	if ad.depth > 64 {
		return false, ad.refusef(l, "models nested too deep")
	}
	infos, err := model.LayerWeightInfo(ad.m, l, ad.s)
	if err != nil {
		return false, ad.refusef(l, "reads the input channels, and modelsurg cannot tell which of its sublayers own its weights")
	}
	if len(infos) != len(l.Weights) {
		return false, ad.refusef(l, "has %d saved weights but its config implies %d", len(l.Weights), len(infos))
	}
	slots, err := model.InputSlots(l.Sub)
	if err != nil || len(slots) != 1 {
		return false, ad.refusef(l, "reads the input channels and has %d inputs; {Adapt} cannot adapt it", len(slots))
	}
	owners := map[*model.Layer][]*model.Weight{}
	for i, info := range infos {
		owners[info.Owner] = append(owners[info.Owner], l.Weights[i])
	}
	var walk func(m *model.Model, set bool)
	walk = func(m *model.Model, set bool) {
		for _, sl := range m.Layers {
			if sl.Sub != nil {
				walk(sl.Sub, set)
				continue
			}
			if set {
				sl.Weights = owners[sl]
			} else {
				owners[sl], sl.Weights = sl.Weights, nil
			}
		}
	}
	walk(l.Sub, true)
	reached, err := adaptModel(l.Sub, channelChange{slot: slots[0], from: ad.from, to: ad.to}, ad.mode, ad.read, ad.depth+1)
	walk(l.Sub, false)
	if err != nil {
		return false, err
	}
	ws := make([]*model.Weight, len(l.Weights))
	next := map[*model.Layer]int{}
	for i, info := range infos {
		ws[i] = owners[info.Owner][next[info.Owner]]
		next[info.Owner]++
	}
	l.Weights = ws
	return reached, nil
}

func (ad *adapter) values(l *model.Layer, w *model.Weight) ([]float32, error) {
	if w.DType != "" && w.DType != "float32" {
		return nil, ad.refusef(l, "weight %q is %s; {Adapt} only adapts float32 weights", w.Name, w.DType)
	}
	v, err := ad.read(w)
	if err != nil {
		return nil, fmt.Errorf("layer %q: %w", l.Name, err)
	}
	if int64(len(v)) != w.Size() {
		return nil, fmt.Errorf("layer %q: weight %q: read %d values for shape %v", l.Name, w.Name, len(v), w.Shape)
	}
	return v, nil
}

// conv adapts a convolution kernel (..., C, F) to (..., N, F).
func (ad *adapter) conv(l *model.Layer) error {
	if g, ok := l.Config.Get("groups").Int(); ok && g != 1 {
		return ad.refusef(l, "is a grouped convolution (groups=%d); {Adapt} cannot adapt it", g)
	}
	if len(l.Weights) == 0 {
		return ad.refusef(l, "has no saved kernel")
	}
	k := l.Weights[0]
	r := len(k.Shape)
	if r < 3 || k.Shape[r-2] != ad.from {
		return ad.refusef(l, "kernel is %s, not a kernel over %d input channels", model.Shape(k.Shape), ad.from)
	}
	v, err := ad.values(l, k)
	if err != nil {
		return err
	}
	data, shape := AdaptKernel(v, k.Shape, ad.to, ad.mode)
	nw := &model.Weight{Name: k.Name, Shape: shape, DType: "float32", Src: model.Values(data)}
	l.Weights = append([]*model.Weight{nw}, l.Weights[1:]...)
	return nil
}

// AdaptKernel applies timm's adapt_input_conv to a Keras kernel of shape
// (..., C, F) stored row-major, giving (..., n, F): sum or mean over the C
// input channels (n = 1), or the C channels repeated cyclically and
// scaled by C/n (repeat). Arithmetic is float32, in channel order.
func AdaptKernel(v []float32, shape []int, n int, mode AdaptMode) ([]float32, []int) {
	r := len(shape)
	c, f := shape[r-2], shape[r-1]
	outer := 1
	for _, d := range shape[:r-2] {
		outer *= d
	}
	out := make([]float32, outer*n*f)
	scale := float32(float64(c) / float64(n))
	for o := 0; o < outer; o++ {
		src := v[o*c*f : (o+1)*c*f]
		dst := out[o*n*f : (o+1)*n*f]
		switch mode {
		case AdaptSum, AdaptMean:
			for j := 0; j < f; j++ {
				sum := src[j]
				for ch := 1; ch < c; ch++ {
					sum += src[ch*f+j]
				}
				if mode == AdaptMean {
					sum /= float32(c)
				}
				for k := 0; k < n; k++ {
					dst[k*f+j] = sum
				}
			}
		default:
			for k := 0; k < n; k++ {
				for j := 0; j < f; j++ {
					dst[k*f+j] = src[(k%c)*f+j] * scale
				}
			}
		}
	}
	ns := append(append([]int{}, shape[:r-2]...), n, f)
	return out, ns
}

// adaptStats averages (1 channel) or repeats cyclically (N channels) a
// per-channel vector.
func adaptStats(v []float32, n int) []float32 {
	out := make([]float32, n)
	if n == 1 {
		var sum float32
		for _, x := range v {
			sum += x
		}
		out[0] = sum / float32(len(v))
		return out
	}
	for i := range out {
		out[i] = v[i%len(v)]
	}
	return out
}

// statsWeights adapts the weights of l at the given indexes, each a
// vector over the input channels.
func (ad *adapter) statsWeights(l *model.Layer, idx []int) error {
	ws := append([]*model.Weight(nil), l.Weights...)
	for _, i := range idx {
		w := ws[i]
		if len(w.Shape) != 1 || w.Shape[0] != ad.from {
			return ad.refusef(l, "weight %q is %s, not one value per input channel (%d)", w.Name, model.Shape(w.Shape), ad.from)
		}
		v, err := ad.values(l, w)
		if err != nil {
			return err
		}
		ws[i] = &model.Weight{Name: w.Name, Shape: []int{ad.to}, DType: "float32", Src: model.Values(adaptStats(v, ad.to))}
	}
	l.Weights = ws
	return nil
}

// normalization adapts a Normalization layer's mean and variance (saved
// weights, or constants in its config); count is kept.
func (ad *adapter) normalization(l *model.Layer, rank int) error {
	if !l.AxisIsLast(rank) {
		return ad.refusef(l, "normalizes over axes other than the channel axis; {Adapt} cannot adapt it")
	}
	if !l.Config.Get("mean").IsNull() {
		for _, key := range []string{"mean", "variance"} {
			if err := ad.configList(l, key); err != nil {
				return err
			}
		}
		return nil
	}
	if len(l.Weights) != 3 {
		return ad.refusef(l, "has %d saved weights, not mean, variance and count", len(l.Weights))
	}
	return ad.statsWeights(l, []int{0, 1})
}

// batchNorm adapts every per-channel vector of a BatchNormalization layer.
func (ad *adapter) batchNorm(l *model.Layer, rank int) error {
	if !l.AxisIsLast(rank) {
		return ad.refusef(l, "normalizes over an axis other than the channel axis; {Adapt} cannot adapt it")
	}
	idx := make([]int, len(l.Weights))
	for i := range idx {
		idx[i] = i
	}
	return ad.statsWeights(l, idx)
}

// rescaling adapts per-channel scale and offset lists.
func (ad *adapter) rescaling(l *model.Layer) error {
	for _, key := range []string{"scale", "offset"} {
		if err := ad.configList(l, key); err != nil {
			return err
		}
	}
	return nil
}

// configList adapts a config value that is a list with one number per
// input channel; numbers and one-element lists broadcast and stay.
func (ad *adapter) configList(l *model.Layer, key string) error {
	vals, list, ok := l.Floats(key)
	switch {
	case !ok:
		return ad.refusef(l, "config %q is not a list of numbers", key)
	case !list || len(vals) <= 1:
		return nil
	case len(vals) != ad.from:
		return ad.refusef(l, "config %q has %d values, not one per input channel (%d)", key, len(vals), ad.from)
	}
	var out []float64
	if ad.to == 1 {
		var sum float64
		for _, f := range vals {
			sum += f
		}
		out = []float64{sum / float64(len(vals))}
	} else {
		for i := 0; i < ad.to; i++ {
			out = append(out, vals[i%len(vals)])
		}
	}
	l.SetFloats(key, out)
	return nil
}
