package h5model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelsurg/modelsurg/internal/kerasfile"
)

// BenchmarkOpenKeras3 measures what a surgery reads of the cached ResNet50
// .keras (gen_apps.py --out .cache/apps/k3/resnet50.keras, or make bench).
func BenchmarkOpenKeras3(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.keras")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.keras: run make bench first")
	}
	for b.Loop() {
		a, err := kerasfile.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		f, err := OpenKeras3(Keras3Source{Path: src, Offset: a.WeightsOffset, Size: a.WeightsSize, Config: a.Config}, true)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkSaveKeras3 measures writing the cached ResNet50 .keras again.
func BenchmarkSaveKeras3(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.keras")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.keras: run make bench first")
	}
	a, err := kerasfile.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	f, err := OpenKeras3(Keras3Source{Path: src, Offset: a.WeightsOffset, Size: a.WeightsSize, Config: a.Config}, true)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(b.TempDir(), "out.keras")
	for b.Loop() {
		if err := SaveKeras3(out, f, f.Model, a.Metadata, a.Config, SaveOptions{Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenH5 is BenchmarkOpenKeras3 for the .h5 file of the same model.
func BenchmarkOpenH5(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.h5")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.h5")
	}
	for b.Loop() {
		f, err := Open(src)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
