package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
)

// sameHash FILE REF: the first call stores FILE's SHA-256 in REF, later
// calls check FILE still has it. Used to prove an input is never modified.
func sameHash(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samehash FILE REF")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	ref := ts.MkAbs(args[1])
	want, err := os.ReadFile(ref)
	if os.IsNotExist(err) {
		ts.Check(os.WriteFile(ref, []byte(got), 0o644))
		return
	}
	ts.Check(err)
	if (string(want) == got) == neg {
		ts.Fatalf("%s: sha256 %s, recorded %s", args[0], got, want)
	}
}
