package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The scripts in testdata/script run the real command. $FIXTURES is the
// repository's testdata folder with the Keras-made .h5 files.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"modelsurg": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
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
		},
	})
}
