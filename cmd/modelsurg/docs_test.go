package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra/doc"

	"github.com/modelsurg/modelsurg/internal/plot/plotcmd"
)

// docs/ holds the command reference generated from the cobra commands;
// this test fails when help text and docs drift (go test -update rewrites).
func TestDocsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	root := newRoot()
	// modelsurg plot runs modelsurg-plot: its page is the real command's.
	for _, c := range root.Commands() {
		if c.Name() == "plot" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(plotcmd.NewCommand())
	root.DisableAutoGenTag = true
	for _, c := range root.Commands() {
		c.DisableAutoGenTag = true
	}
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join("..", "..", "docs")
	gen, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if *update {
		old, _ := filepath.Glob(filepath.Join(want, "modelsurg*.md"))
		for _, p := range old {
			os.Remove(p)
		}
		for _, p := range gen {
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(filepath.Join(want, filepath.Base(p)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	have, _ := filepath.Glob(filepath.Join(want, "modelsurg*.md"))
	if len(have) != len(gen) {
		t.Errorf("docs/ has %d command pages, the commands give %d: run go test ./cmd/modelsurg -run Docs -update", len(have), len(gen))
	}
	for _, p := range gen {
		got, _ := os.ReadFile(p)
		cur, err := os.ReadFile(filepath.Join(want, filepath.Base(p)))
		if err != nil || !bytes.Equal(got, cur) {
			t.Errorf("docs/%s is out of date: run go test ./cmd/modelsurg -run Docs -update", filepath.Base(p))
		}
	}
}
