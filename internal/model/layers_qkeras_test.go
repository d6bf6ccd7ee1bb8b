package model

import (
	"errors"
	"fmt"
	"testing"
)

// TestQKeras: a QKeras layer has the shapes of the Keras layer it
// quantizes (the config of hls4ml's FashionMNIST QConv2DBatchnorm, a file
// in ../shared/realworld; Conv2D's rule gives ceil(28 / 2) = 14 with "same"
// padding), and weights modelsurg reads from the file.
func TestQKeras(t *testing.T) {
	cfg := mustObj(t, `{"name": "q", "filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
		"data_format": "channels_last", "activation": "relu", "kernel_quantizer": {"class_name": "quantized_bits", "config": {"bits": 6}}}`)
	in := []Shape{{None, 28, 28, 1}}
	for q, like := range qkeras {
		if !ThirdParty(q) || ThirdParty(like) {
			t.Errorf("ThirdParty(%s), ThirdParty(%s)", q, like)
		}
	}
	got, err := InferLayer("QConv2DBatchnorm", cfg, in, Keras2)
	want, werr := InferLayer("Conv2D", cfg, in, Keras2)
	if err != nil || werr != nil || fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(got) != "[(None, 14, 14, 8)]" {
		t.Errorf("QConv2DBatchnorm: %v %v, Conv2D: %v %v", got, err, want, werr)
	}
	if _, err := LayerWeights("QConv2DBatchnorm", cfg, in, Keras2); !errors.Is(err, ErrUnknownLayer) {
		t.Errorf("weights: %v, want ErrUnknownLayer (read from the file)", err)
	}
}
