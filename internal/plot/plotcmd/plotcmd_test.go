package plotcmd

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelsurg/modelsurg/internal/summary"
)

var update = flag.Bool("update", false, "rewrite the golden DOT files (our own text)")

// repo is the repository's root, from this package's folder.
const repo = "../../.."

// plotGolden holds the DOT text plot writes for each fixture (go test
// -update rewrites it: the text is ours, not Keras's).
const plotGolden = "../testdata/golden"

func plotFixtures(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, d := range []string{"k2", "k3"} {
		all, _ := filepath.Glob(filepath.Join(repo, "testdata", d, "*.h5"))
		for _, p := range all {
			if !strings.Contains(p, "weights_only") {
				out = append(out, p)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found %d fixtures; run make fixtures", len(out))
	}
	return out
}

// runOK runs "modelsurg plot ARGS..." and returns its stdout.
func runOK(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	return out.Bytes()
}

// TestPlotGoldenDOT: the DOT text of every fixture, as is and (for those
// with nested models) with --expand-nested, is the one committed.
func TestPlotGoldenDOT(t *testing.T) {
	for _, f := range plotFixtures(t) {
		var plain []byte
		for _, nested := range []bool{false, true} {
			args := []string{f, "-o", "-", "--format", "dot"}
			name := filepath.Base(filepath.Dir(f)) + "_" + strings.TrimSuffix(filepath.Base(f), ".h5")
			if nested {
				args = append(args, "--expand-nested")
				name += "_nested"
			}
			got := runOK(t, args...)
			if !nested {
				plain = got
			} else if bytes.Equal(got, plain) {
				continue // no nested model
			}
			if !bytes.Equal(got, runOK(t, args...)) {
				t.Errorf("%s: two runs differ", name)
			}
			golden := filepath.Join(plotGolden, name+".dot")
			if *update {
				if err := os.MkdirAll(plotGolden, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if errors.Is(err, fs.ErrNotExist) {
				// a fixture newer than the goldens: TestPlotSVG still covers it
				t.Logf("%s: no golden DOT (go test ./internal/plot/plotcmd -run PlotGolden -update writes it)", name)
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: DOT differs from %s (go test -run PlotGolden -update rewrites it):\n%s", name, golden, firstDiff(string(want), string(got)))
			}
		}
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return ""
}

// layerNames lists the layers summary reports for the file.
func layerNames(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	err := summarize(io.Discard, path, summary.Options{ExpandNested: true}, func(_ io.Writer, r *summary.Report) error {
		for _, l := range r.Rows {
			out = append(out, l.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// svgText returns the text of every <text> element, failing on XML that
// is not well-formed.
func svgText(t *testing.T, svg []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	var texts []string
	depth, inText := 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && e.Name.Local != "svg" {
				t.Fatalf("SVG root is <%s>", e.Name.Local)
			}
			inText = e.Name.Local == "text"
		case xml.EndElement:
			depth--
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		}
	}
	return texts
}

// TestPlotSVG: the SVG of every fixture is well-formed XML and shows the
// name of every layer (nested ones with --expand-nested).
func TestPlotSVG(t *testing.T) {
	for _, f := range plotFixtures(t) {
		texts := svgText(t, runOK(t, f, "-o", "-", "--expand-nested"))
		have := map[string]bool{}
		for _, s := range texts {
			have[strings.TrimSpace(s)] = true
		}
		for _, name := range layerNames(t, f) {
			if !have[name] {
				t.Errorf("%s: no text %q in the SVG", f, name)
			}
		}
	}
}

var svgSize = regexp.MustCompile(`<svg width="(\d+)pt" height="(\d+)pt"`)

// TestPlotPNG: the PNG decodes, is as big as the SVG at 144 dpi, and is
// not blank.
func TestPlotPNG(t *testing.T) {
	f := repo + "/testdata/k3/branches.h5"
	out := filepath.Join(t.TempDir(), "b.png")
	runOK(t, f, "-o", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	m := svgSize.FindSubmatch(runOK(t, f, "-o", "-"))
	if m == nil {
		t.Fatal("no size in the SVG")
	}
	wpt, _ := strconv.Atoi(string(m[1]))
	hpt, _ := strconv.Atoi(string(m[2]))
	got := img.Bounds().Size()
	if abs(got.X-2*wpt) > 3 || abs(got.Y-2*hpt) > 3 {
		t.Errorf("PNG is %v, want about %dx%d (the SVG's %dx%d pt at 2 px/pt)", got, 2*wpt, 2*hpt, wpt, hpt)
	}
	if n := inked(img); n < got.X*got.Y/50 {
		t.Errorf("PNG has %d non-white pixels of %d: blank?", n, got.X*got.Y)
	}
}

func abs(x int) int { return max(x, -x) }

// inked counts the pixels that are not white.
func inked(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return n
}

// TestPlotHTMLChromium opens the .html page in headless Chromium: a
// screenshot shows the graph (not a blank page), and #search=NAME finds
// that layer. Skipped when Chromium is not installed (make test installs
// it).
func TestPlotHTMLChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make chromium installs it)")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "branches.html")
	runOK(t, repo+"/testdata/k3/branches.h5", "-o", page)
	browse := func(extra ...string) []byte {
		t.Helper()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir(), "--window-size=1000,700"}, extra...)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, errb.String())
		}
		return out.Bytes()
	}
	shot := filepath.Join(dir, "shot.png")
	browse("--screenshot="+shot, "file://"+page)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	size := img.Bounds().Size()
	if n := inked(img); n < size.X*size.Y/100 {
		t.Errorf("screenshot has %d non-white pixels of %d: blank page?", n, size.X*size.Y)
	}
	dom := browse("--virtual-time-budget=3000", "--dump-dom", "file://"+page+"#search=branch_c")
	if !regexp.MustCompile(`id="status"[^>]*data-hits="1"`).Match(dom) || !bytes.Contains(dom, []byte(`data-current="branch_c"`)) {
		m := regexp.MustCompile(`<span id="status"[^<]*</span>`).Find(dom)
		t.Errorf("the search for branch_c did not find it: %s", m)
	}
	if !regexp.MustCompile(`class="node layer hit current"`).Match(dom) {
		t.Errorf("no node marked as the current hit")
	}
}
