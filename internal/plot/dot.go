package plot

import (
	"fmt"
	"io"
	"strings"

	"github.com/modelsurg/modelsurg/internal/summary"
)

// Style chooses what the boxes show and which way the graph runs.
type Style struct {
	NoShapes, NoParams bool
	// RankDir is "TB" (top to bottom, the default) or "LR".
	RankDir string
}

// colours of a box: border, title background, text
type palette struct{ border, head, text string }

var (
	trainableColors = palette{"#3f6f9f", "#dbe7f4", "#000000"}
	frozenColors    = palette{"#8a8a8a", "#e4e4e4", "#505050"}
	markColors      = map[Mark]palette{
		Added:   {"#2e8b2e", "#c6ebc6", "#000000"},
		Removed: {"#c0392b", "#f6c9c4", "#000000"},
		Changed: {"#c27c0e", "#fbe0a6", "#000000"},
	}
	markNames = map[Mark]string{Added: "added", Removed: "removed", Changed: "reshaped or changed"}
)

// WriteDOT writes the graph as DOT text for Graphviz's dot: one
// HTML-like label per layer, nested models as clusters, a title with the
// legend. The same graph always gives the same bytes.
func (g *Graph) WriteDOT(w io.Writer, st Style) error {
	var b strings.Builder
	rank := st.RankDir
	if rank == "" {
		rank = "TB"
	}
	fmt.Fprintf(&b, "digraph %s {\n", quote(g.Name))
	fmt.Fprintf(&b, "  graph [rankdir=%s, fontname=\"Helvetica\", fontsize=12, nodesep=0.3, ranksep=0.35, labelloc=t, labeljust=l, label=<%s>];\n", rank, g.legend())
	b.WriteString("  node [shape=plain, fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [color=\"#555555\", arrowsize=0.6];\n")
	g.writeLevel(&b, "", "  ", st)
	for _, e := range g.Edges {
		attrs := ""
		switch e.Mark {
		case Added:
			attrs = fmt.Sprintf(" [color=%q, penwidth=1.6]", markColors[Added].border)
		case Removed:
			attrs = fmt.Sprintf(" [color=%q, style=dashed]", markColors[Removed].border)
		}
		fmt.Fprintf(&b, "  %s -> %s%s;\n", quote(e.From), quote(e.To), attrs)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLevel writes the nodes whose Parent is parent, and a cluster
// subgraph for each nested model among them.
func (g *Graph) writeLevel(b *strings.Builder, parent, indent string, st Style) {
	for _, n := range g.Nodes {
		if n.Parent != parent {
			continue
		}
		if !n.Cluster {
			fmt.Fprintf(b, "%s%s [class=%q%s, label=<%s>];\n", indent, quote(n.ID), n.classes(), n.box(), n.label(st))
			continue
		}
		c := trainableColors
		if p, ok := markColors[n.Mark]; ok {
			c = p
		}
		fmt.Fprintf(b, "%ssubgraph %s {\n", indent, quote("cluster_"+n.ID))
		fmt.Fprintf(b, "%s  graph [style=\"rounded\", color=%q, penwidth=1.2, labeljust=l, label=<<b>%s</b>&#160;(%s)%s>];\n",
			indent, c.border, esc(n.Name), esc(n.Class), paramText(n.Params, st, "  "))
		g.writeLevel(b, n.ID, indent+"  ", st)
		fmt.Fprintf(b, "%s}\n", indent)
	}
}

// box gives the dashed outline of a placeholder or a removed layer: a
// dashed HTML-like table trips a Graphviz bug in the layout's drawing
// operations, a dashed node shape does not.
func (n *Node) box() string {
	switch {
	case n.Elided > 0:
		return `, shape=box, style="dashed,rounded", color="#999999", margin="0.12,0.06"`
	case n.Mark == Removed:
		return fmt.Sprintf(`, shape=box, style=dashed, color=%q, penwidth=1.2, margin=0`, markColors[Removed].border)
	}
	return ""
}

func (n *Node) classes() string {
	if n.Elided > 0 {
		return "elided"
	}
	c := "layer"
	if !n.Trainable {
		c += " frozen"
	}
	if n.Mark != Same {
		c += " " + strings.Fields(markNames[n.Mark])[0]
	}
	return c
}

// label is the node's HTML-like label: a title row "name (Class)" and a
// row with the output shape and parameter count.
func (n *Node) label(st Style) string {
	if n.Elided > 0 {
		word := "layers"
		if n.Elided == 1 {
			word = "layer"
		}
		what := fmt.Sprintf("%s %s", summary.Group(int64(n.Elided)), word)
		if n.Name != "" {
			what += " " + n.Name
		}
		return fmt.Sprintf(`<font color="#666666"><i>… %s not shown</i></font>`, esc(what))
	}
	c := trainableColors
	if !n.Trainable {
		c = frozenColors
	}
	if p, ok := markColors[n.Mark]; ok {
		c = p
	}
	border := "1"
	if n.Mark == Removed {
		border = "0" // the node's dashed box is the border
	}
	class := esc(n.Class)
	if !n.Trainable && n.Params > 0 {
		class += ", frozen"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<table border=%q color=%q cellborder="0" cellspacing="0" cellpadding="3" bgcolor="white">`, border, c.border)
	fmt.Fprintf(&b, `<tr><td bgcolor=%q><font color=%q><b>%s</b>&#160;(%s)</font></td></tr>`, c.head, c.text, esc(n.Name), class)
	var info []string
	if !st.NoShapes {
		shape := esc(n.Shape)
		if n.OldShape != "" {
			shape = esc(n.OldShape) + " → " + shape
		}
		info = append(info, shape)
	}
	if p := paramText(n.Params, st, ""); p != "" {
		info = append(info, p)
	}
	if len(info) > 0 {
		fmt.Fprintf(&b, `<tr><td><font color=%q>%s</font></td></tr>`, c.text, strings.Join(info, "   "))
	}
	b.WriteString("</table>")
	return b.String()
}

// paramText is "9,472 params" after sep, or "" for none or --no-params.
func paramText(n int64, st Style, sep string) string {
	if st.NoParams || n == 0 {
		return ""
	}
	word := "params"
	if n == 1 {
		word = "param"
	}
	return sep + summary.Group(n) + " " + word
}

// legend is the graph's title: the model, how much is shown, and the
// meaning of the colours in use.
func (g *Graph) legend() string {
	var b strings.Builder
	title := fmt.Sprintf("<b>%s</b>&#160;(%s)", esc(g.Name), esc(g.Class))
	if g.Shown < g.Total {
		title += fmt.Sprintf(": %s of %s layers", summary.Group(int64(g.Shown)), summary.Group(int64(g.Total)))
	}
	b.WriteString(`<table border="0" cellspacing="2" cellpadding="2"><tr><td align="left">` + title + `</td></tr>`)
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Cluster || n.Elided > 0 {
			continue
		}
		switch {
		case n.Mark != Same:
			seen[markNames[n.Mark]] = true
		case n.Trainable:
			seen["trainable"] = true
		default:
			seen["frozen"] = true
		}
	}
	keys := []struct {
		name string
		c    palette
	}{{"trainable", trainableColors}, {"frozen", frozenColors},
		{markNames[Added], markColors[Added]}, {markNames[Removed], markColors[Removed]}, {markNames[Changed], markColors[Changed]}}
	var cells strings.Builder
	for _, k := range keys {
		if seen[k.name] && (len(seen) > 1 || g.Diff) {
			fmt.Fprintf(&cells, `<td border="1" color=%q bgcolor=%q><font point-size="9">%s</font></td>`, k.c.border, k.c.head, k.name)
		}
	}
	if cells.Len() > 0 {
		b.WriteString(`<tr><td align="left"><table border="0" cellspacing="3" cellpadding="3"><tr>` + cells.String() + `</tr></table></td></tr>`)
	}
	b.WriteString("</table>")
	return b.String()
}

// quote makes a DOT double-quoted string.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// esc escapes text for an HTML-like label.
func esc(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\n", " ")
	return r.Replace(s)
}
