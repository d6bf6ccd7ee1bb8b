package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSummary measures summary of the cached ResNet50 in process (make
// bench or the interop suite creates it); scripts/bench.py compares whole
// commands with Keras.
func BenchmarkSummary(b *testing.B) {
	src := filepath.Join("..", "..", ".cache", "apps", "k3", "resnet50.h5")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no .cache/apps/k3/resnet50.h5: run the interop suite or make bench first")
	}
	for b.Loop() {
		if code := run(context.Background(), []string{"summary", src}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
