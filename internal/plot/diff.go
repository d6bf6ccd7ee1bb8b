package plot

// Diff merges two graphs of a model before and after a surgery, matching
// layers by ID: the new graph's layers marked Added (not in old) or
// Changed (another output shape, class or parameter count), and the old
// graph's Removed layers put back after the layer that preceded them.
// Connections only in the new graph are Added, those only in the old one
// (between layers still drawn) Removed.
func Diff(old, cur *Graph) *Graph {
	out := &Graph{Name: cur.Name, Class: cur.Class, Diff: true}
	oldByID := map[string]*Node{}
	for _, n := range old.Nodes {
		oldByID[n.ID] = n
	}
	curIDs := map[string]bool{}
	for _, n := range cur.Nodes {
		curIDs[n.ID] = true
	}
	// removed layers, grouped after the nearest earlier layer both have
	after := map[string][]*Node{}
	var lead []*Node
	prev := ""
	for _, n := range old.Nodes {
		if curIDs[n.ID] {
			prev = n.ID
			continue
		}
		m := *n
		m.Mark = Removed
		if prev == "" {
			lead = append(lead, &m)
		} else {
			after[prev] = append(after[prev], &m)
		}
	}
	out.Nodes = append(out.Nodes, lead...)
	for _, n := range cur.Nodes {
		m := *n
		if o, ok := oldByID[n.ID]; !ok {
			m.Mark = Added
		} else if !m.Cluster && (o.Shape != n.Shape || o.Class != n.Class || o.Params != n.Params) {
			m.Mark = Changed
			if o.Shape != n.Shape {
				m.OldShape = o.Shape
			}
		}
		out.Nodes = append(out.Nodes, &m)
		out.Nodes = append(out.Nodes, after[n.ID]...)
	}
	out.Edges = diffEdges(old.Edges, cur.Edges)
	out.Total = len(out.layerIndexes())
	out.Shown = out.Total
	return out
}

func diffEdges(old, cur []Edge) []Edge {
	inOld := map[[2]string]bool{}
	for _, e := range old {
		inOld[[2]string{e.From, e.To}] = true
	}
	inCur := map[[2]string]bool{}
	var out []Edge
	for _, e := range cur {
		k := [2]string{e.From, e.To}
		inCur[k] = true
		if !inOld[k] {
			e.Mark = Added
		}
		out = append(out, e)
	}
	for _, e := range old {
		if !inCur[[2]string{e.From, e.To}] {
			e.Mark = Removed
			out = append(out, e)
		}
	}
	return out
}

// Pair puts two graphs side by side, each in a cluster with its title
// ("before", "after") and file name, layer IDs prefixed with the title.
func Pair(a, b *Graph, titles, files [2]string) *Graph {
	out := &Graph{Name: a.Name, Class: a.Class}
	for i, g := range []*Graph{a, b} {
		p := titles[i]
		out.Nodes = append(out.Nodes, &Node{ID: p, Name: p, Class: files[i], Cluster: true, Trainable: true})
		for _, n := range g.Nodes {
			m := *n
			m.ID = p + "/" + n.ID
			if m.Parent == "" {
				m.Parent = p
			} else {
				m.Parent = p + "/" + n.Parent
			}
			out.Nodes = append(out.Nodes, &m)
		}
		for _, e := range g.Edges {
			out.Edges = append(out.Edges, Edge{From: p + "/" + e.From, To: p + "/" + e.To, Mark: e.Mark})
		}
		out.Total += g.Total
		out.Shown += g.Shown
	}
	return out
}
