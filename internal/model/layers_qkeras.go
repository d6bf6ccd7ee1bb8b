package model

import "fmt"

// QKeras (github.com/google/qkeras) layers quantize Keras layers and keep
// their output shapes: each is registered with the shape rule of the layer
// it quantizes. Their weights (quantizer state, a folded batch norm) are
// not modelled: they are the file's. No installed Keras loads them without
// the qkeras package, so they are ThirdParty.
var qkeras = map[string]string{
	"QConv1D": "Conv1D", "QConv2D": "Conv2D", "QConv2DTranspose": "Conv2DTranspose",
	"QDepthwiseConv2D": "DepthwiseConv2D", "QSeparableConv1D": "SeparableConv1D",
	"QSeparableConv2D": "SeparableConv2D", "QConv2DBatchnorm": "Conv2D",
	"QDepthwiseConv2DBatchnorm": "DepthwiseConv2D", "QDense": "Dense", "QDenseBatchnorm": "Dense",
	"QActivation": "Activation", "QBatchNormalization": "BatchNormalization",
	"QAveragePooling2D": "AveragePooling2D", "QGlobalAveragePooling2D": "GlobalAveragePooling2D",
}

// ThirdParty reports a class modelsurg knows the shapes of that is not a
// Keras class: a file holding one loads only with its package installed.
func ThirdParty(class string) bool { return qkeras[class] != "" }

func init() {
	for q, like := range qkeras {
		k, ok := layerKinds[like]
		if !ok {
			panic(fmt.Sprintf("model: QKeras %s: no kind %s", q, like))
		}
		qk := *k
		qk.weights = func(*lcfg, []Shape) ([]WeightSpec, error) {
			return nil, fmt.Errorf("%w: %s: its weights are QKeras's own", ErrUnknownLayer, q)
		}
		register(&qk, q)
	}
}
