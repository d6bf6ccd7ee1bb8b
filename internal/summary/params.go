package summary

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// count is a layer's parameters split as Keras's summary splits them, with
// the bytes they take.
type count struct {
	trainable, frozen           int64
	trainableBytes, frozenBytes int64
}

// Total is the layer's parameter count.
func (c count) Total() int64 { return c.trainable + c.frozen }

// add counts one weight of n elements of itemSize bytes.
func (c *count) add(n int64, itemSize int, trainable bool) {
	if trainable {
		c.trainable += n
		c.trainableBytes += n * int64(itemSize)
	} else {
		c.frozen += n
		c.frozenBytes += n * int64(itemSize)
	}
}

// layerCount counts l's parameters from its config when the config gives
// every weight's shape and dtype. Otherwise it asks weights for the
// weights saved for l: for their dtypes alone when the config gives the
// shapes, for everything when it cannot build the layer (a Lambda, a
// custom class), whose weights then count as trainable unless l is frozen.
func layerCount(m *model.Model, l *model.Layer, s *model.Shapes, weights func(*model.Layer) ([]*model.Weight, error)) (count, error) {
	var infos []model.WeightInfo
	err := model.ErrUnknownLayer
	if s != nil {
		infos, err = model.LayerWeightInfo(m, l, s)
	}
	if err != nil && !errors.Is(err, model.ErrUnknownLayer) {
		return count{}, err
	}
	if err == nil && knownShapes(infos) {
		if c, ok := configCount(infos); ok {
			return c, nil
		}
		ws, err := weights(l)
		if err != nil {
			return count{}, err
		}
		if len(ws) != len(infos) {
			return count{}, fmt.Errorf("layer %q (%s): the file has %d weights but the config implies %d", l.Name, l.Class, len(ws), len(infos))
		}
		var c count
		for i, w := range infos {
			c.add(elements(w.Spec.Shape), itemSize(ws[i].DType), w.Trainable)
		}
		return c, nil
	}
	ws, err := weights(l)
	if err != nil {
		return count{}, err
	}
	return savedCount(ws, model.IsTrainable(l)), nil
}

// savedCount counts saved weights, each in its own dtype.
func savedCount(ws []*model.Weight, trainable bool) count {
	var c count
	for _, w := range ws {
		c.add(w.Size(), itemSize(w.DType), trainable)
	}
	return c
}

// configCount counts weights whose shapes are known, each in the dtype
// of the variables its owner creates; false if a dtype is not known.
func configCount(infos []model.WeightInfo) (count, bool) {
	var c count
	for _, w := range infos {
		n := variableBytes(w.Owner, w.Spec.Name)
		if n == 0 {
			return count{}, false
		}
		c.add(elements(w.Spec.Shape), n, w.Trainable)
	}
	return c, true
}

func knownShapes(infos []model.WeightInfo) bool {
	for _, w := range infos {
		for _, d := range w.Spec.Shape {
			if d < 0 {
				return false
			}
		}
	}
	return true
}

func elements(s model.Shape) int64 {
	n := int64(1)
	for _, d := range s {
		n *= int64(d)
	}
	return n
}

// variableBytes is the item size of the weight name that layer l creates,
// from l's dtype policy: float32 for the float32 and mixed policies (and
// no policy), float64 for float64. It is 0 when the config cannot tell:
// under a float16 or bfloat16 policy tf-keras keeps normalization
// layers' weights in float32 and Keras 3 does not; a quantized or unknown
// policy. Normalization's count is int64 in both Kerases.
func variableBytes(l *model.Layer, name string) int {
	if l.Class == "Normalization" && name == "count" {
		return 8
	}
	switch l.DTypePolicy() {
	case "", "float32", "mixed_float16", "mixed_bfloat16":
		return 4
	case "float64":
		return 8
	}
	return 0
}

// itemSize is the size of one element of a saved dtype ("float16",
// "int64", ...: h5model names them by their bits), 4 if unknown.
func itemSize(dtype string) int {
	bits, err := strconv.Atoi(strings.TrimLeft(dtype, "abcdefghijklmnopqrstuvwxyz"))
	if err != nil || bits < 8 || bits%8 != 0 {
		return 4
	}
	return bits / 8
}
