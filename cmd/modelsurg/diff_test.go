package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// diff exits 0 for equal files, 1 for different ones with no error line,
// and 2 on any error, bad input included.
func TestDiffExitStatus(t *testing.T) {
	const a, b = "../../testdata/k2/sequential_cnn.h5", "../../testdata/k2/branches.h5"
	for _, c := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"diff", a, a}, 0, ""},
		{[]string{"diff", a, b}, 1, ""},
		{[]string{"diff", a, b, "--format", "json"}, 1, ""},
		{[]string{"diff", a, "../../testdata/bad/truncated_half.h5"}, 2, "modelsurg: error: ../../testdata/bad/truncated_half.h5: "},
		{[]string{"diff", a, "nothere.h5"}, 2, "modelsurg: error: nothere.h5: "},
		{[]string{"diff", a}, 2, "modelsurg: error: accepts 2 arg"},
	} {
		var out, errb bytes.Buffer
		if got := run(context.Background(), c.args, &out, &errb); got != c.status {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, got, c.status, errb.String())
		}
		if !strings.HasPrefix(errb.String(), c.stderr) || (c.stderr == "") != (errb.Len() == 0) {
			t.Errorf("%v: stderr %q, want %q...", c.args, errb.String(), c.stderr)
		}
		if c.status < 2 && out.Len() == 0 {
			t.Errorf("%v: nothing on stdout", c.args)
		}
	}
}
