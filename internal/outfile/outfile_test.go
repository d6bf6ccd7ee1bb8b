package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.h5")
	out := filepath.Join(dir, "out.h5")
	os.WriteFile(in, []byte("input"), 0o644)
	if err := WriteBytes(in, []byte("x"), true, in); err == nil {
		t.Error("wrote over its input")
	}
	if err := WriteBytes(out, []byte("one"), false, in); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(out, []byte("two"), false, in); !errors.Is(err, ErrExists) {
		t.Errorf("overwrote without force: %v", err)
	}
	failed := errors.New("disk full")
	if err := Write(out, []string{in}, true, func(tmp string) error {
		os.WriteFile(tmp, []byte("half"), 0o644)
		return failed
	}); !errors.Is(err, failed) {
		t.Errorf("error %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "one" {
		t.Errorf("a failed write changed the output: %q", b)
	}
	if err := WriteBytes(out, []byte("three"), true, in); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if b, _ := os.ReadFile(out); string(b) != "three" || len(entries) != 2 {
		t.Errorf("output %q, %d files in the folder", b, len(entries))
	}
	if b, _ := os.ReadFile(in); string(b) != "input" {
		t.Error("the input changed")
	}
}
