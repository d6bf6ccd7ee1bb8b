// Package plot draws a model's layer graph: it turns a summary.Report into
// a graph of layers (nested models as clusters), keeps a part of it or marks
// what a surgery changed, writes it as deterministic DOT text, lays it out
// with Graphviz's dot (compiled to WebAssembly, run in-process) for SVG and
// PNG, and wraps the SVG in a self-contained HTML page with pan, zoom and
// search.
package plot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/summary"
)

// Mark says what a surgery did to a layer, for Diff.
type Mark int

const (
	Same    Mark = iota
	Added        // only in the new model
	Removed      // only in the old model
	Changed      // in both, with another output shape, class or count
)

// Node is one layer box, or a placeholder for layers left out.
type Node struct {
	// ID is unique in the graph: the layer's name, prefixed with the
	// names of the nested models around it ("resnet50/conv1_conv").
	ID        string
	Name      string
	Class     string
	Shape     string // output shapes as the summary prints them
	Params    int64
	Trainable bool
	// Parent is the ID of the nested model drawn as a cluster around the
	// node, "" at the top level.
	Parent string
	// Cluster marks a nested model drawn as a cluster of its layers.
	Cluster bool
	Mark    Mark
	// OldShape is the old output shape of a Changed layer.
	OldShape string
	// Elided > 0 makes the node a placeholder for that many hidden layers.
	Elided int
}

// Edge is a connection from one node's output to another's input.
type Edge struct {
	From, To string
	Mark     Mark
}

// Graph is a model's layers and connections, in Keras's layer order.
type Graph struct {
	Name  string
	Class string
	Nodes []*Node
	Edges []Edge
	// Total is the number of layers before a selection; Shown after it.
	Total, Shown int
	// Diff is set on a graph made by Diff.
	Diff bool
}

// Node returns the node with that ID, or nil.
func (g *Graph) Node(id string) *Node {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// FromReport builds the graph of a report. Expanded nested models (rows
// of greater depth after their own row) become clusters: connections into
// them go to their input layers, connections out of them leave from their
// output layers. A weights-only report has no graph.
func FromReport(r *summary.Report) (*Graph, error) {
	if r.WeightsOnly {
		return nil, fmt.Errorf("a weights-only file has no layer graph to plot")
	}
	b := &builder{g: &Graph{Name: r.Name, Class: r.Class}, rows: r.Rows, seq: map[string]bool{}, index: map[string]int{}}
	b.seq[""] = r.Sequential
	b.nodes()
	if err := b.edges(); err != nil {
		return nil, err
	}
	b.g.Total = len(b.g.Nodes) - b.clusters()
	b.g.Shown = b.g.Total
	return b.g, nil
}

type builder struct {
	g    *Graph
	rows []summary.Row
	// seq marks the models (by cluster ID) whose rows carry no
	// connections: Sequential ones, chained in order.
	seq map[string]bool
	// parents[i] is the ID of row i's enclosing nested model.
	parents []string
	ids     []string
	index   map[string]int // row index by ID
}

func (b *builder) clusters() int {
	n := 0
	for _, x := range b.g.Nodes {
		if x.Cluster {
			n++
		}
	}
	return n
}

// nodes makes one node per row; a row followed by deeper rows is a cluster.
func (b *builder) nodes() {
	var stack []string // IDs of the nested models around the current row
	for i, row := range b.rows {
		if row.Depth < len(stack) {
			stack = stack[:row.Depth]
		}
		parent := ""
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		id := row.Name
		if parent != "" {
			id = parent + "/" + row.Name
		}
		n := &Node{ID: id, Name: row.Name, Class: row.Class, Shape: summary.ShapeText(row.Outputs),
			Params: row.Params, Trainable: row.Trainable, Parent: parent}
		if i+1 < len(b.rows) && b.rows[i+1].Depth > row.Depth {
			n.Cluster = true
			b.seq[id] = row.Class == "Sequential"
			stack = append(stack, id)
		}
		if _, dup := b.index[id]; !dup {
			b.index[id] = i
		}
		b.g.Nodes = append(b.g.Nodes, n)
		b.parents = append(b.parents, parent)
		b.ids = append(b.ids, id)
	}
}

// edges connects each row to its inbound layers (or, in a Sequential
// model, to the row before it among its siblings).
func (b *builder) edges() error {
	seen := map[[2]string]bool{}
	add := func(from, to string) {
		k := [2]string{from, to}
		if !seen[k] && from != to {
			seen[k] = true
			b.g.Edges = append(b.g.Edges, Edge{From: from, To: to})
		}
	}
	prev := map[string]string{} // last row seen per Sequential model
	for i, row := range b.rows {
		parent, id := b.parents[i], b.ids[i]
		if b.seq[parent] {
			if p, ok := prev[parent]; ok {
				for _, from := range b.outputsOf(p, 0) {
					for _, to := range b.inputsOf(id) {
						add(from, to)
					}
				}
			}
			prev[parent] = id
			continue
		}
		ins := b.inputsOf(id)
		for k, ref := range row.Inbound {
			name, tensor, err := parseRef(ref)
			if err != nil {
				return fmt.Errorf("layer %q: %w", row.Name, err)
			}
			src := name
			if parent != "" {
				src = parent + "/" + name
			}
			if _, ok := b.index[src]; !ok {
				return fmt.Errorf("layer %q: inbound layer %q is not in the model", row.Name, name)
			}
			to := ins
			if len(ins) == len(row.Inbound) && len(ins) > 1 {
				to = ins[k : k+1] // a nested model's k-th input
			}
			for _, from := range b.outputsOf(src, tensor) {
				for _, t := range to {
					add(from, t)
				}
			}
		}
	}
	return nil
}

// children returns the IDs of the rows directly inside cluster id.
func (b *builder) children(id string) []string {
	var out []string
	for i, p := range b.parents {
		if p == id {
			out = append(out, b.ids[i])
		}
	}
	return out
}

// inputsOf gives the nodes that receive a connection into id: id itself,
// or for a cluster its input layers (its first layer when Sequential).
func (b *builder) inputsOf(id string) []string {
	if i, ok := b.index[id]; !ok || !b.g.Nodes[i].Cluster {
		return []string{id}
	}
	kids := b.children(id)
	var in []string
	if b.seq[id] {
		in = kids[:1]
	} else {
		for _, k := range kids {
			if b.rowOf(k).Class == "InputLayer" && len(b.rowOf(k).Inbound) == 0 {
				in = append(in, k)
			}
		}
	}
	if len(in) == 0 {
		in = kids[:1]
	}
	var out []string
	for _, k := range in {
		out = append(out, b.inputsOf(k)...)
	}
	return out
}

// outputsOf gives the node that a connection from output tensor t of id
// leaves from: id itself, or for a cluster its t-th output layer, taken
// as its t-th layer that no sibling reads (its last when Sequential).
func (b *builder) outputsOf(id string, t int) []string {
	if i, ok := b.index[id]; !ok || !b.g.Nodes[i].Cluster {
		return []string{id}
	}
	kids := b.children(id)
	var sinks []string
	if b.seq[id] {
		sinks = kids[len(kids)-1:]
	} else {
		read := map[string]bool{}
		for _, k := range kids {
			for _, ref := range b.rowOf(k).Inbound {
				if name, _, err := parseRef(ref); err == nil {
					read[id+"/"+name] = true
				}
			}
		}
		for _, k := range kids {
			if !read[k] {
				sinks = append(sinks, k)
			}
		}
	}
	if len(sinks) == 0 {
		sinks = kids[len(kids)-1:]
	}
	pick := sinks[len(sinks)-1]
	if t < len(sinks) {
		pick = sinks[t]
	}
	return b.outputsOf(pick, 0)
}

func (b *builder) rowOf(id string) *summary.Row { return &b.rows[b.index[id]] }

// parseRef splits Keras's "layer[node][tensor]"; the name may hold brackets.
func parseRef(ref string) (name string, tensor int, err error) {
	bad := fmt.Errorf("cannot read connection %q", ref)
	if !strings.HasSuffix(ref, "]") {
		return "", 0, bad
	}
	i := strings.LastIndexByte(ref, '[')
	if i < 0 {
		return "", 0, bad
	}
	tensor, err = strconv.Atoi(ref[i+1 : len(ref)-1])
	if err != nil {
		return "", 0, bad
	}
	rest := ref[:i]
	j := strings.LastIndexByte(rest, '[')
	if j <= 0 || !strings.HasSuffix(rest, "]") {
		return "", 0, bad
	}
	return rest[:j], tensor, nil
}
