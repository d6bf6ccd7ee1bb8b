package plot

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/modelsurg/modelsurg/internal/model"
	"github.com/modelsurg/modelsurg/internal/summary"
)

// chain is a report of a functional chain in -> l1 -> ... -> ln, with a
// skip connection from l1 to the last layer when skip is set.
func chain(n int, skip bool) *summary.Report {
	r := &summary.Report{Name: "m", Class: "Functional"}
	r.Rows = append(r.Rows, summary.Row{Name: "in", Class: "InputLayer", Outputs: []model.Shape{{model.None, 4}}, Trainable: true, Inbound: []string{}})
	prev := "in"
	for i := 1; i <= n; i++ {
		name := "l" + string(rune('0'+i))
		in := []string{prev + "[0][0]"}
		if skip && i == n {
			in = append(in, "l1[0][0]")
		}
		r.Rows = append(r.Rows, summary.Row{Name: name, Class: "Dense", Outputs: []model.Shape{{model.None, i}}, Params: int64(10 * i), Trainable: i != 2, Inbound: in})
		prev = name
	}
	return r
}

func mustGraph(t *testing.T, r *summary.Report) *Graph {
	t.Helper()
	g, err := FromReport(r)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func edges(g *Graph) string {
	var s []string
	for _, e := range g.Edges {
		x := e.From + ">" + e.To
		if e.Mark == Added {
			x += "+"
		} else if e.Mark == Removed {
			x += "-"
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func TestFromReport(t *testing.T) {
	g := mustGraph(t, chain(3, true))
	if got, want := edges(g), "in>l1 l1>l2 l2>l3 l1>l3"; got != want {
		t.Errorf("edges %q, want %q", got, want)
	}
	if g.Total != 4 || g.Shown != 4 {
		t.Errorf("total %d shown %d, want 4 4", g.Total, g.Shown)
	}
	if n := g.Node("l2"); n.Trainable || n.Shape != "(None, 2)" || n.Params != 20 {
		t.Errorf("l2 = %+v", n)
	}
	if _, err := FromReport(&summary.Report{WeightsOnly: true}); err == nil {
		t.Error("a weights-only report gave a graph")
	}
	bad := chain(1, false)
	bad.Rows[1].Inbound = []string{"ghost[0][0]"}
	if _, err := FromReport(bad); err == nil || !strings.Contains(err.Error(), `"ghost"`) {
		t.Errorf("unknown inbound layer: %v", err)
	}
}

// A nested model expanded: connections go to its input layer and leave
// from its output layer; a Sequential one is chained in order.
func TestFromReportNested(t *testing.T) {
	r := &summary.Report{Name: "outer", Class: "Functional", Rows: []summary.Row{
		{Name: "x", Class: "InputLayer", Inbound: []string{}},
		{Name: "sub", Class: "Functional", Inbound: []string{"x[0][0]"}},
		{Name: "x", Class: "InputLayer", Inbound: []string{}, Depth: 1},
		{Name: "d", Class: "Dense", Inbound: []string{"x[0][0]"}, Depth: 1},
		{Name: "seq", Class: "Sequential", Inbound: []string{"sub[0][0]"}},
		{Name: "a", Class: "Dense", Inbound: []string{}, Depth: 1},
		{Name: "b", Class: "Dense", Inbound: []string{}, Depth: 1},
		{Name: "out", Class: "Dense", Inbound: []string{"seq[0][0]"}},
	}}
	g := mustGraph(t, r)
	want := "x>sub/x sub/x>sub/d sub/d>seq/a seq/a>seq/b seq/b>out"
	if got := edges(g); got != want {
		t.Errorf("edges %q, want %q", got, want)
	}
	if !g.Node("sub").Cluster || g.Node("sub/d").Parent != "sub" || g.Total != 6 {
		t.Errorf("clusters: sub %+v, sub/d %+v, total %d", g.Node("sub"), g.Node("sub/d"), g.Total)
	}
}

func TestParseRef(t *testing.T) {
	for _, c := range []struct {
		ref, name string
		tensor    int
		ok        bool
	}{
		{"conv[0][0]", "conv", 0, true},
		{"a[b][1][2]", "a[b]", 2, true},
		{"x[0]", "", 0, false},
		{"[0][0]", "", 0, false},
		{"x[0][y]", "", 0, false},
	} {
		name, tensor, err := parseRef(c.ref)
		if (err == nil) != c.ok || name != c.name || tensor != c.tensor {
			t.Errorf("parseRef(%q) = %q, %d, %v", c.ref, name, tensor, err)
		}
	}
}

func TestSelect(t *testing.T) {
	g := mustGraph(t, chain(5, false)) // in l1 .. l5
	last, err := g.Select(Selection{Last: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := edges(last), "…before>l4 l4>l5"; got != want {
		t.Errorf("--last 2: edges %q, want %q", got, want)
	}
	if ph := last.Node("…before"); ph == nil || ph.Elided != 4 || last.Shown != 2 || last.Total != 6 {
		t.Errorf("--last 2: placeholder %+v, shown %d of %d", ph, last.Shown, last.Total)
	}
	both, _ := g.Select(Selection{First: 1, Last: 1})
	if got, want := edges(both), "in>…before …before>l5"; got != want {
		t.Errorf("--first 1 --last 1: edges %q, want %q", got, want)
	}
	around, _ := g.Select(Selection{Around: "l3", Depth: 1})
	if got, want := edges(around), "…before>l2 l2>l3 l3>l4 l4>…after"; got != want {
		t.Errorf("--around l3: edges %q, want %q", got, want)
	}
	if a, b := around.Node("…before"), around.Node("…after"); a.Elided != 2 || b.Elided != 1 {
		t.Errorf("--around l3: %d layers before, %d after; want 2, 1", a.Elided, b.Elided)
	}
	if _, err := g.Select(Selection{Around: "nope"}); err == nil || !strings.Contains(err.Error(), `layer "nope"`) {
		t.Errorf("--around nope: %v", err)
	}
	if same, _ := g.Select(Selection{}); same != g {
		t.Error("an empty selection changed the graph")
	}
}

func TestDiff(t *testing.T) {
	old := mustGraph(t, chain(3, false)) // in l1 l2 l3
	r := chain(2, false)                 // in l1 l2, then a new head
	r.Rows[2].Outputs = []model.Shape{{model.None, 7}}
	r.Rows = append(r.Rows, summary.Row{Name: "head", Class: "Dense", Inbound: []string{"l2[0][0]"}, Trainable: true})
	d := Diff(old, mustGraph(t, r))
	marks := map[string]Mark{}
	var order []string
	for _, n := range d.Nodes {
		marks[n.ID] = n.Mark
		order = append(order, n.ID)
	}
	if got, want := strings.Join(order, " "), "in l1 l2 l3 head"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if marks["in"] != Same || marks["l2"] != Changed || marks["l3"] != Removed || marks["head"] != Added {
		t.Errorf("marks %v", marks)
	}
	if n := d.Node("l2"); n.OldShape != "(None, 2)" || n.Shape != "(None, 7)" {
		t.Errorf("l2 shapes: old %q new %q", n.OldShape, n.Shape)
	}
	if got, want := edges(d), "in>l1 l1>l2 l2>head+ l2>l3-"; got != want {
		t.Errorf("edges %q, want %q", got, want)
	}
}

func TestDOT(t *testing.T) {
	r := chain(2, false)
	r.Name = `a"b`
	r.Rows[1].Name = "x<&>"
	r.Rows[2].Inbound = []string{"x<&>[0][0]"}
	g := mustGraph(t, r)
	var a, b bytes.Buffer
	if err := g.WriteDOT(&a, Style{}); err != nil {
		t.Fatal(err)
	}
	g.WriteDOT(&b, Style{})
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same graph gave two DOT texts")
	}
	dot := a.String()
	for _, want := range []string{`digraph "a\"b" {`, `"x<&>" [class="layer"`, `<b>x&lt;&amp;&gt;</b>`, `(None, 1)   10 params`,
		`class="layer frozen"`, `l2</b>&#160;(Dense, frozen)`, "rankdir=TB", `"x<&>" -> "l2";`} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
	var c bytes.Buffer
	g.WriteDOT(&c, Style{NoShapes: true, NoParams: true, RankDir: "LR"})
	if s := c.String(); strings.Contains(s, "(None, 1)") || strings.Contains(s, "params") || !strings.Contains(s, "rankdir=LR") {
		t.Errorf("--no-shapes --no-params --rankdir LR:\n%s", s)
	}
}

// Render lays the graph out: SVG with every layer, a PNG that decodes.
func TestRender(t *testing.T) {
	var dot bytes.Buffer
	mustGraph(t, chain(3, true)).WriteDOT(&dot, Style{})
	svg, err := Render(context.Background(), dot.Bytes(), "svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{">in<", ">l1<", ">l3<"} {
		if !bytes.Contains(svg, []byte(name)) {
			t.Errorf("SVG lacks %s", name)
		}
	}
	p, err := Render(context.Background(), dot.Bytes(), "png")
	if err != nil || !bytes.HasPrefix(p, []byte("\x89PNG")) {
		t.Errorf("PNG: %v", err)
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, "m <x>", svg); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	if strings.Contains(html, "<?xml") || !strings.Contains(html, "<title>m &lt;x&gt;</title>") || strings.Contains(html, "http://") && strings.Contains(html, "<script src") {
		t.Errorf("page: prolog kept, title unescaped or external script")
	}
}

// The package draws in pure Go: it must not reach HDF5 or cgo.
func TestNoCgo(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "C" || strings.Contains(dep, "hdf5") || strings.HasSuffix(dep, "/h5model") {
			t.Errorf("internal/plot depends on %s", dep)
		}
	}
}
