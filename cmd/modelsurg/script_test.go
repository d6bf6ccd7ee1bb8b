package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/modelsurg/modelsurg/internal/plot/plotcmd"
)

// The scripts in testdata/script run the real command. $FIXTURES is the
// repository's testdata folder with the Keras-made .h5 files.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"modelsurg": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
		// "modelsurg plot" finds this next to "modelsurg" and runs it.
		"modelsurg-plot": func() { os.Exit(plotcmd.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	fixtures, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures)
			return nil
		},
		// [root]: the tests run as root, for whom file modes do not
		// forbid writing (a read-only folder is then writable).
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// nofiles DIR GLOB: no file in DIR matches GLOB (temporary files left behind).
			"nofiles": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: nofiles DIR GLOB")
				}
				m, _ := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), args[1]))
				if !neg && len(m) > 0 {
					ts.Fatalf("unexpected files: %v", m)
				}
				if neg && len(m) == 0 {
					ts.Fatalf("no file matches %s", args[1])
				}
			},
			// sha256sum FILE WANTFILE: FILE's hash equals the one stored in WANTFILE (written when WANTFILE is missing).
			"samehash": sameHash,
			"exitcode": exitCode,
		},
	})
}

// exitcode N CMD [ARG...]: CMD exits with status N. When N > 0, stdout is
// empty and stderr is exactly one "modelsurg: error:" line, optionally
// followed by one "modelsurg: hint:" line: no other line, no HDF5 error
// stack, no Go panic or stack trace. With status 1 (bad input or
// impossible surgery) the error line starts with the input file (the
// argument after the subcommand) or the -o file.
func exitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N CMD [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode() // -1 when killed by a signal
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
	if want == 0 {
		return
	}
	if out := ts.ReadFile("stdout"); out != "" {
		ts.Fatalf("stdout is not empty after a failure")
	}
	if msg := checkErrOutput(ts.ReadFile("stderr"), want, args[2:]); msg != "" {
		ts.Fatalf("%s", msg)
	}
}

// checkErrOutput returns what is wrong with the stderr of a failed command
// (status code, arguments args after the program name), or "".
func checkErrOutput(stderr string, code int, args []string) string {
	for _, bad := range []string{"HDF5-DIAG", "#000:", "goroutine ", "panic:", "runtime error"} {
		if strings.Contains(stderr, bad) {
			return fmt.Sprintf("stderr holds %q (an HDF5 error stack or a Go panic)", bad)
		}
	}
	if !strings.HasSuffix(stderr, "\n") {
		return "stderr does not end with a newline"
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	switch {
	case !strings.HasPrefix(lines[0], "modelsurg: error: "):
		return "the first stderr line is not a modelsurg: error: line"
	case len(lines) == 2 && !strings.HasPrefix(lines[1], "modelsurg: hint: "):
		return "the second stderr line is not a modelsurg: hint: line"
	case len(lines) > 2:
		return fmt.Sprintf("stderr has %d lines, want an error line and at most a hint line", len(lines))
	}
	if code != 1 {
		return ""
	}
	var files []string
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		files = append(files, args[1])
	}
	for i, a := range args {
		switch {
		case (a == "-o" || a == "--output") && i+1 < len(args):
			files = append(files, args[i+1])
		case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--output="):
			files = append(files, a[strings.IndexByte(a, '=')+1:])
		}
	}
	for _, f := range files {
		if strings.HasPrefix(lines[0], "modelsurg: error: "+f+": ") {
			return ""
		}
	}
	return fmt.Sprintf("the error line does not start with the file it is about (one of %q)", files)
}

// TestCheckErrOutput: the exitcode command's stderr rules.
func TestCheckErrOutput(t *testing.T) {
	args := []string{"strip", "in.h5", "-o", "out.h5"}
	for _, c := range []struct {
		stderr string
		code   int
		ok     bool
	}{
		{"modelsurg: error: in.h5: not an HDF5 file\n", 1, true},
		{"modelsurg: error: out.h5: output file exists (use --force to replace it)\n", 1, true},
		{"modelsurg: error: in.h5: x\nmodelsurg: hint: y\n", 1, true},
		{"modelsurg: error: --shape: bad\n", 2, true},
		{"modelsurg: error: --shape: bad\n", 1, false},                         // exit 1 names no file
		{"modelsurg: error: in.h5: x", 1, false},                               // no newline
		{"modelsurg: error: in.h5: x\nmodelsurg: error: in.h5: y\n", 1, false}, // two errors
		{"modelsurg: warning: w\nmodelsurg: error: in.h5: x\n", 1, false},      // another line
		{"modelsurg: error: in.h5: x\nmodelsurg: hint: y\nmodelsurg: hint: z\n", 1, false},
		{"HDF5-DIAG: Error detected in HDF5 (1.10.10) thread 1:\nmodelsurg: error: in.h5: x\n", 1, false},
		{"modelsurg: error: in.h5: x\ngoroutine 1 [running]:\n", 1, false},
		{"", 1, false},
	} {
		if msg := checkErrOutput(c.stderr, c.code, args); (msg == "") != c.ok {
			t.Errorf("%q (exit %d): %q, want ok=%v", c.stderr, c.code, msg, c.ok)
		}
	}
}
