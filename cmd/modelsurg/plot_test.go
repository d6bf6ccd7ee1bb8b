package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"slices"
	"testing"
)

// stubPlotHelper makes "modelsurg plot" find the helper at path (none when
// path is "") and record what it would run instead of running it.
func stubPlotHelper(t *testing.T, path string) *[]string {
	t.Helper()
	find, ex := findPlotHelper, execPlot
	t.Cleanup(func() { findPlotHelper, execPlot = find, ex })
	findPlotHelper = func() (string, error) {
		if path == "" {
			return "", exec.ErrNotFound
		}
		return path, nil
	}
	var ran []string
	execPlot = func(p string, args []string) error {
		ran = append([]string{p}, args...)
		return errors.New("stub")
	}
	return &ran
}

// TestPlotRunsHelper: every argument, flags and --help included, goes to
// modelsurg-plot unparsed.
func TestPlotRunsHelper(t *testing.T) {
	for _, args := range [][]string{
		{"in.h5", "-o", "-", "--format", "dot", "--no-such-flag"},
		{"--help"},
		{},
	} {
		ran := stubPlotHelper(t, "/x/modelsurg-plot")
		var out, errb bytes.Buffer
		run(context.Background(), append([]string{"plot"}, args...), &out, &errb)
		if want := append([]string{"/x/modelsurg-plot"}, args...); !slices.Equal(*ran, want) {
			t.Errorf("plot %q ran %q, want %q", args, *ran, want)
		}
	}
	ran := stubPlotHelper(t, "/x/modelsurg-plot")
	run(context.Background(), []string{"help", "plot"}, new(bytes.Buffer), new(bytes.Buffer))
	if want := []string{"/x/modelsurg-plot", "--help"}; !slices.Equal(*ran, want) {
		t.Errorf("help plot ran %q, want %q", *ran, want)
	}
}

// TestPlotWithoutHelper: one error line naming what is missing, exit 1.
func TestPlotWithoutHelper(t *testing.T) {
	stubPlotHelper(t, "")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"plot", "in.h5", "-o", "g.svg"}, &out, &errb)
	want := "modelsurg: error: plot needs modelsurg-plot next to modelsurg (make build builds both)\n"
	if code != 1 || out.Len() != 0 || errb.String() != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out.String(), errb.String(), want)
	}
}
