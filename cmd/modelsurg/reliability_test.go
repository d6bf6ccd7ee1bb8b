package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/jsonx"
	"github.com/modelsurg/modelsurg/internal/model"
)

// These tests run the real binary, built once, as a script would: output
// appears whole or not at all, even when the process is killed mid-write,
// and the same command gives the same bytes, also when run in parallel.

// repoDir is the repository root.
func repoDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildBinary builds cmd/modelsurg into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "modelsurg")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestReliability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and writes large files")
	}
	bin := buildBinary(t, t.TempDir())
	t.Run("kill", func(t *testing.T) { testKill(t, bin) })
	t.Run("parallel", func(t *testing.T) { testParallel(t, bin) })
	t.Run("hardlink", func(t *testing.T) { testHardLink(t, bin) })
}

// bigModel returns a large Keras .h5 file to write: VGG16 with top from the
// interop cache (tests/interop/gen_apps.py --dialect k3 --model vgg16
// --include-top), or else a synthetic one made here: the k3 sequential_cnn
// fixture with its Dense widened to a 256 MB kernel, a valid model that
// modelsurg and Keras load.
func bigModel(t *testing.T) string {
	t.Helper()
	vgg := filepath.Join(repoDir(t), ".cache", "apps", "k3", "vgg16_top.h5")
	if _, err := os.Stat(vgg); err == nil {
		t.Logf("input: %s", vgg)
		return vgg
	}
	t.Logf("%s missing (make it with tests/interop/gen_apps.py --dialect k3 --model vgg16 --include-top --out %s); using a synthetic 256 MB model", vgg, vgg)
	f, err := h5model.Open(filepath.Join(repoDir(t), "testdata", "k3", "sequential_cnn.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := model.Clone(f.Model)
	const units = 1 << 20
	dense := m.Layer("dense")
	dense.Config.Set("units", jsonx.Int(units))
	kernel, bias := dense.Weights[0], dense.Weights[1]
	dense.Weights = []*model.Weight{
		{Name: kernel.Name, Shape: []int{kernel.Shape[0], units}, DType: "float32", Src: make(model.Values, kernel.Shape[0]*units)},
		{Name: bias.Name, Shape: []int{units}, DType: "float32", Src: make(model.Values, units)},
	}
	big := filepath.Join(t.TempDir(), "big.h5")
	if err := h5model.Save(big, f, m, h5model.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	return big
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tempFiles lists the temporary files Save leaves beside out if killed.
func tempFiles(out string) []string {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp*"))
	return m
}

// killMidWrite starts bin with args, waits until the temporary output has
// grown past minSize, then sends sig. It reports whether the temporary
// file is still there afterwards (for SIGKILL: the signal came mid-write;
// false: the process finished first and the run proves nothing), the
// process's stderr and its exit error.
func killMidWrite(t *testing.T, bin, out string, sig os.Signal, minSize int64, args ...string) (midWrite bool, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var eb bytes.Buffer
	cmd.Stderr = &eb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return false, eb.String(), err
		default:
		}
		if tmp := tempFiles(out); len(tmp) == 1 {
			if st, err := os.Stat(tmp[0]); err == nil && st.Size() >= minSize {
				cmd.Process.Signal(sig)
				err := <-done
				_, stillThere := os.Stat(tmp[0])
				return stillThere == nil, eb.String(), err
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	cmd.Process.Kill()
	<-done
	t.Fatalf("%v: no temporary output after 30 s", args)
	return false, "", nil
}

func testKill(t *testing.T, bin string) {
	in := bigModel(t)
	st, err := os.Stat(in)
	if err != nil {
		t.Fatal(err)
	}
	inHash := fileHash(t, in)
	dir := t.TempDir()
	// Kill once a third of the output is written.
	minSize := st.Size() / 3
	if minSize < 8<<20 {
		t.Fatalf("%s: %d bytes, too small to kill mid-write", in, st.Size())
	}

	// SIGKILL, no previous output: no OUT appears. The killed process
	// cannot remove its temporary file; it is hidden and never renamed.
	out := filepath.Join(dir, "out.h5")
	killed := 0
	for attempt := 0; attempt < 5 && killed == 0; attempt++ {
		mid, _, _ := killMidWrite(t, bin, out, os.Kill, minSize, "strip", in, "-o", out)
		if _, err := os.Stat(out); mid && err == nil {
			t.Fatalf("SIGKILL while writing the temporary file left %s", out)
		}
		if mid {
			killed++
			tmp := tempFiles(out)
			st, _ := os.Stat(tmp[0])
			t.Logf("SIGKILL at %d of ~%d bytes: no %s; %s left behind", st.Size(), size(in), filepath.Base(out), filepath.Base(tmp[0]))
		}
		removeAll(t, tempFiles(out))
		os.Remove(out)
	}
	if killed == 0 {
		t.Fatal("the process always finished before SIGKILL: could not kill it mid-write")
	}

	// SIGKILL with --force over a previous OUT: the previous OUT is intact.
	prev := filepath.Join(repoDir(t), "testdata", "k2", "sequential_cnn.h5")
	data, err := os.ReadFile(prev)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	prevHash := fileHash(t, out)
	killed = 0
	for attempt := 0; attempt < 5 && killed == 0; attempt++ {
		mid, _, _ := killMidWrite(t, bin, out, os.Kill, minSize, "strip", in, "-o", out, "--force")
		if mid {
			killed++
			if got := fileHash(t, out); got != prevHash {
				t.Fatalf("SIGKILL during --force changed the previous %s", out)
			}
			t.Logf("SIGKILL during --force: the previous %s is byte-identical", filepath.Base(out))
		} else if err := os.WriteFile(out, data, 0o644); err != nil {
			t.Fatal(err)
		}
		removeAll(t, tempFiles(out))
	}
	if killed == 0 {
		t.Fatal("the process always finished before SIGKILL: could not kill it mid-write")
	}

	// SIGINT and SIGTERM mid-write: the process exits on its own, so it
	// leaves no temporary file, and OUT is either absent or complete.
	ref := filepath.Join(dir, "ref.h5")
	if out, err := exec.Command(bin, "strip", in, "-o", ref).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	refHash := fileHash(t, ref)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		os.Remove(out)
		_, stderr, err := killMidWrite(t, bin, out, sig, minSize, "strip", in, "-o", out)
		if tmp := tempFiles(out); len(tmp) > 0 {
			t.Errorf("%v: temporary file left: %v", sig, tmp)
		}
		_, statErr := os.Stat(out)
		switch {
		case statErr == nil && fileHash(t, out) != refHash:
			t.Errorf("%v: %s is not the complete output", sig, out)
		case statErr == nil:
			t.Logf("%v mid-write: the write completed (exit %v), OUT complete", sig, err)
		default:
			t.Logf("%v mid-write: stopped (exit %v, %q), no OUT", sig, err, strings.TrimSpace(stderr))
		}
	}
	os.Remove(ref)
	if got := fileHash(t, in); got != inHash {
		t.Fatalf("%s changed", in)
	}
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

func removeAll(t *testing.T, paths []string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
}

// testParallel runs each writing command eight times at once on one input:
// the eight outputs are byte-identical. Then eight runs write the same OUT
// with --force: OUT ends whole (one of them, byte-identical to the others)
// and no temporary file is left.
func testParallel(t *testing.T, bin string) {
	in := filepath.Join(repoDir(t), ".cache", "apps", "k3", "mobilenetv2.h5")
	shape := "160,160,3"
	if _, err := os.Stat(in); err != nil {
		in = filepath.Join(repoDir(t), "testdata", "k3", "branches.h5")
		shape = "16,16,3"
	}
	t.Logf("input: %s", in)
	inHash := fileHash(t, in)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"strip", []string{"strip", in, "--all"}},
		{"reshape-input", []string{"reshape-input", in, "--shape", shape}},
		{"replace-head", []string{"replace-head", in, "--classes", "10", "--dropout", "0.2", "--hidden", "32"}},
	} {
		dir := t.TempDir()
		outs := make([]string, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range outs {
			outs[i] = filepath.Join(dir, "out"+string(rune('0'+i))+".h5")
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if out, err := exec.Command(bin, append(c.args, "-o", outs[i])...).CombinedOutput(); err != nil {
					errs[i] = errors.New(err.Error() + ": " + string(out))
				}
			}(i)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := fileHash(t, outs[0])
		for _, o := range outs[1:] {
			if got := fileHash(t, o); got != want {
				t.Fatalf("%s: %s differs from %s", c.name, o, outs[0])
			}
		}

		same := filepath.Join(dir, "same.h5")
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				out, err := exec.Command(bin, append(c.args, "-o", same, "--force")...).CombinedOutput()
				errs[i] = nil
				if err != nil {
					errs[i] = errors.New(err.Error() + ": " + string(out))
				}
			}(i)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("%s --force: %v", c.name, err)
		}
		if got := fileHash(t, same); got != want {
			t.Fatalf("%s: eight runs writing one OUT left it different from a single run's", c.name)
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(tmp) > 0 {
			t.Fatalf("%s: temporary files left: %v", c.name, tmp)
		}
		t.Logf("%s: 8 parallel runs, byte-identical (sha256 %s…); 8 runs on one OUT: whole", c.name, want[:12])
	}
	if got := fileHash(t, in); got != inHash {
		t.Fatalf("%s changed", in)
	}
}

// testHardLink: an output that is a hard link to the input is the input.
func testHardLink(t *testing.T, bin string) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.h5")
	data, err := os.ReadFile(filepath.Join(repoDir(t), "testdata", "k2", "optimizer.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.h5")
	if err := os.Link(in, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	want := fileHash(t, in)
	cmd := exec.Command(bin, "strip", in, "-o", link, "--force")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("strip onto a hard link of the input: %v, want exit 1", err)
	}
	if msg := checkErrOutput(stderr.String(), 1, []string{"strip", in, "-o", link}); msg != "" {
		t.Fatalf("%s\n%s", msg, stderr.String())
	}
	if !strings.Contains(stderr.String(), "output is the input file") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	if fileHash(t, in) != want {
		t.Fatal("the input changed")
	}
	if tmp := tempFiles(link); len(tmp) > 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}
