package plot

import (
	"fmt"
	"sort"
	"strings"
)

// Selection keeps a part of a big graph: the First and Last layers in
// Keras's order (both: the two ends), or the layers within Depth
// connections of the layer Around.
type Selection struct {
	First, Last int
	Around      string
	Depth       int
}

// Select returns the graph cut down to the selected layers, with the
// clusters around them; connections to the layers left out end in
// placeholder boxes ("… 169 layers not shown"). The graph is returned as
// is when nothing is selected.
func (g *Graph) Select(s Selection) (*Graph, error) {
	layers := g.layerIndexes()
	keep := map[string]bool{}
	switch {
	case s.Around != "":
		start, err := g.find(s.Around)
		if err != nil {
			return nil, err
		}
		g.around(start, s.Depth, keep)
	case s.First > 0 || s.Last > 0:
		for k, i := range layers {
			if k < s.First || k >= len(layers)-s.Last {
				keep[g.Nodes[i].ID] = true
			}
		}
	default:
		return g, nil
	}
	return g.keepOnly(keep, layers, s.Around != ""), nil
}

// layerIndexes lists the nodes that are layers (not clusters).
func (g *Graph) layerIndexes() []int {
	var out []int
	for i, n := range g.Nodes {
		if !n.Cluster && n.Elided == 0 {
			out = append(out, i)
		}
	}
	return out
}

// find returns the ID of the layer named name (or with that ID).
func (g *Graph) find(name string) (string, error) {
	var hits []string
	for _, n := range g.Nodes {
		if n.Cluster {
			continue
		}
		if n.ID == name {
			return n.ID, nil
		}
		if n.Name == name {
			hits = append(hits, n.ID)
		}
	}
	switch len(hits) {
	case 0:
		return "", fmt.Errorf("layer %q: no such layer", name)
	case 1:
		return hits[0], nil
	}
	return "", fmt.Errorf("layer %q: %d layers have that name (%s); give the nested path", name, len(hits), strings.Join(hits, ", "))
}

// around marks the layers within depth connections of start, either way.
func (g *Graph) around(start string, depth int, keep map[string]bool) {
	next := map[string][]string{}
	for _, e := range g.Edges {
		next[e.From] = append(next[e.From], e.To)
		next[e.To] = append(next[e.To], e.From)
	}
	keep[start] = true
	frontier := []string{start}
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var grown []string
		for _, id := range frontier {
			for _, m := range next[id] {
				if !keep[m] {
					keep[m] = true
					grown = append(grown, m)
				}
			}
		}
		sort.Strings(grown)
		frontier = grown
	}
}

// keepOnly builds the graph of the kept layers and the clusters around
// them. Connections to the others go to placeholders: with split, one for
// the layers upstream of the kept ones and one for those downstream (each
// counted), else one for all the layers left out.
func (g *Graph) keepOnly(keep map[string]bool, layers []int, split bool) *Graph {
	out := &Graph{Name: g.Name, Class: g.Class, Total: g.Total, Diff: g.Diff, Shown: len(keep)}
	inCluster := map[string]bool{}
	for _, n := range g.Nodes {
		if keep[n.ID] {
			for p := n.Parent; p != "" && !inCluster[p]; p = g.Node(p).Parent {
				inCluster[p] = true
			}
		}
	}
	hidden := len(layers) - len(keep)
	above := &Node{ID: "…before", Elided: max(hidden, 1)}
	below := above
	if split {
		up, down := g.reach(keep, true), g.reach(keep, false)
		above = &Node{ID: "…before", Elided: max(up, 1), Name: "before"}
		below = &Node{ID: "…after", Elided: max(down, 1), Name: "after"}
	}
	used := map[*Node]bool{}
	for _, e := range g.Edges {
		switch {
		case keep[e.From] && keep[e.To]:
			out.Edges = append(out.Edges, e)
		case keep[e.To]:
			used[above] = true
			out.Edges = append(out.Edges, Edge{From: above.ID, To: e.To})
		case keep[e.From]:
			used[below] = true
			out.Edges = append(out.Edges, Edge{From: e.From, To: below.ID})
		}
	}
	out.Edges = dedupe(out.Edges)
	if used[above] {
		out.Nodes = append(out.Nodes, above)
	}
	for _, n := range g.Nodes {
		if keep[n.ID] || inCluster[n.ID] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	if used[below] && below != above {
		out.Nodes = append(out.Nodes, below)
	}
	return out
}

// reach counts the layers left out that lead to a kept one (up) or that
// a kept one leads to (down).
func (g *Graph) reach(keep map[string]bool, up bool) int {
	next := map[string][]string{}
	for _, e := range g.Edges {
		if up {
			next[e.To] = append(next[e.To], e.From)
		} else {
			next[e.From] = append(next[e.From], e.To)
		}
	}
	seen := map[string]bool{}
	var stack []string
	for id := range keep {
		stack = append(stack, id)
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range next[id] {
			if !keep[m] && !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	return len(seen)
}

func dedupe(es []Edge) []Edge {
	seen := map[[2]string]bool{}
	var out []Edge
	for _, e := range es {
		k := [2]string{e.From, e.To}
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
