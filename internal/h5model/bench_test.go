package h5model

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSave measures Open + Save of the cached ResNet50 (make bench or
// the interop suite creates it); scripts/bench.py compares whole commands.
func BenchmarkSave(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.h5")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.h5: run the interop suite or make bench first")
	}
	dir := b.TempDir()
	out := filepath.Join(dir, "out.h5")
	for b.Loop() {
		f, err := Open(src)
		if err != nil {
			b.Fatal(err)
		}
		if err := Save(out, f, f.Model, SaveOptions{Force: true}); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkOpenConfig measures what summary reads of the cached ResNet50:
// the config, parsed and inferred, and no weights.
func BenchmarkOpenConfig(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.h5")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.h5: run the interop suite or make bench first")
	}
	for b.Loop() {
		f, err := OpenConfig(src)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkOpen measures what a surgery reads of the cached ResNet50: the
// config and every weight's shape, checked against the config.
func BenchmarkOpen(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.h5")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.h5: run the interop suite or make bench first")
	}
	for b.Loop() {
		f, err := Open(src)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
