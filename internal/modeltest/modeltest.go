// Package modeltest loads the Keras-made fixtures as in-memory models, for
// tests that must run without cgo: the model_config saved next to each
// fixture (testdata/configs) with the weights its .h5 file holds, as listed
// by testdata/gen_manifests.py in testdata/weights. Weights carry their
// names, shapes and dtypes as saved; their values are a ramp, not Keras's.
package modeltest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Manifest is one fixture's saved weights (testdata/weights/DIALECT/NAME.json).
type Manifest struct {
	Source       string `json:"source"`
	KerasVersion string `json:"keras_version"`
	// ModelConfig is set for fixtures without a testdata/configs file.
	ModelConfig string `json:"model_config"`
	// Layers are the layer groups in layer_names order.
	Layers []Group `json:"layers"`
}

// Group is one layer group: its weight_names entries in file order.
type Group struct {
	Name    string        `json:"name"`
	Weights []WeightEntry `json:"weights"`
}

// WeightEntry is one dataset of a layer group.
type WeightEntry struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	DType string `json:"dtype"`
}

// Load returns the fixture DIALECT/NAME (dialect k2, k3 or bad) as
// internal/h5model would open it: the parsed config, each layer_names
// group's weights bound to the top-level layer of that name (a nested
// model's weights are all in its own group), and the saved weights checked
// against the config. It fails t on any error.
func Load(t testing.TB, dialect, name string) *model.Model {
	t.Helper()
	m, err := load(dialect, name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ReadManifest reads testdata/weights/DIALECT/NAME.json.
func ReadManifest(dialect, name string) (*Manifest, error) {
	root, err := Testdata()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "weights", dialect, name+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (run testdata/gen_manifests.py)", err)
	}
	var mf Manifest
	if err := json.Unmarshal(b, &mf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &mf, nil
}

func load(dialect, name string) (*model.Model, error) {
	mf, err := ReadManifest(dialect, name)
	if err != nil {
		return nil, err
	}
	cfg := []byte(mf.ModelConfig)
	if mf.ModelConfig == "" {
		root, _ := Testdata()
		if cfg, err = os.ReadFile(filepath.Join(root, "configs", dialect, name+".json")); err != nil {
			return nil, err
		}
	}
	d := model.Keras2
	if strings.HasPrefix(mf.KerasVersion, "3") {
		d = model.Keras3
	}
	m, err := model.Parse(cfg, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mf.Source, err)
	}
	if err := bind(m, mf); err != nil {
		return nil, fmt.Errorf("%s: %w", mf.Source, err)
	}
	return m, nil
}

// bind gives each top-level layer the weights of its group, as
// h5model does, and checks them against the config as h5model.Open does.
func bind(m *model.Model, mf *Manifest) error {
	for _, g := range mf.Layers {
		l := m.Layer(g.Name)
		if l == nil {
			if len(g.Weights) > 0 {
				return fmt.Errorf("layer %q: weights are saved for it but the model has no such layer", g.Name)
			}
			continue
		}
		l.Weights = nil
		for _, e := range g.Weights {
			l.Weights = append(l.Weights, NewWeight(e.Name, e.Shape, e.DType))
		}
	}
	s, err := model.Infer(m)
	if err != nil {
		return err
	}
	for _, l := range m.Layers {
		if _, err := model.LayerParams(m, l, s); err != nil {
			return err
		}
	}
	return nil
}

// Testdata returns the repository's testdata directory, found from the
// working directory up.
func Testdata() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("modeltest: no go.mod above the working directory")
		}
		dir = parent
	}
}
