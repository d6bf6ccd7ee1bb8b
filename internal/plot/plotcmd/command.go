// Package plotcmd is the plot command of the modelsurg-plot helper: it
// reads models, lays out their graph with the Graphviz in internal/plot and
// writes SVG, PNG, DOT or HTML. It lives apart from cmd/modelsurg so that
// the main binary does not link Graphviz.
package plotcmd

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/plot"
	"github.com/modelsurg/modelsurg/internal/plot/plothelp"
	"github.com/modelsurg/modelsurg/internal/summary"
)

// plotFlags are the plot command's flags.
type plotFlags struct {
	out, format   string
	force, nested bool
	highlight     bool
	style         plot.Style
	sel           plot.Selection
}

// NewCommand returns the plot command, to run under a "modelsurg" root.
func NewCommand() *cobra.Command {
	var p plotFlags
	cmd := &cobra.Command{
		Use:   plothelp.Use,
		Short: plothelp.Short,
		Long:  plothelp.Long,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.RangeArgs(1, 2)(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := p.check(cmd, args); err != nil {
				return err
			}
			return runPlot(cmd, args, p)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&p.out, "output", "o", "", "output file, .svg, .png, .dot or .html (- for standard output; required)")
	fl.BoolVar(&p.force, "force", false, "replace the output file if it exists")
	fl.StringVar(&p.format, "format", "", "svg, png, dot or html (default: from the output's extension)")
	fl.BoolVar(&p.style.NoShapes, "no-shapes", false, "leave out the output shapes")
	fl.BoolVar(&p.style.NoParams, "no-params", false, "leave out the parameter counts")
	fl.StringVar(&p.style.RankDir, "rankdir", "TB", "direction of the graph: TB (top to bottom) or LR (left to right)")
	fl.BoolVar(&p.nested, "expand-nested", false, "draw the layers inside nested models, in a frame per model")
	fl.IntVar(&p.sel.First, "first", 0, "draw only the first N layers (with --last: both ends)")
	fl.IntVar(&p.sel.Last, "last", 0, "draw only the last N layers")
	fl.StringVar(&p.sel.Around, "around", "", "draw only the layers near this one (see --depth)")
	fl.IntVar(&p.sel.Depth, "depth", 2, "with --around: how many connections away from it")
	fl.BoolVar(&p.highlight, "highlight", false, "with two files: one graph with the added, removed and changed layers in colour")
	return cmd
}

// check validates the flags and settles the format.
func (p *plotFlags) check(cmd *cobra.Command, args []string) error {
	if p.out == "" {
		return usagef("missing -o OUT.svg (or .png, .dot, .html; - for standard output)")
	}
	if p.format == "" {
		ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(p.out)), ".")
		switch {
		case p.out == "-":
			p.format = "svg"
		case ext == "":
			return usagef("-o %s: no extension to tell the format; use --format svg, png, dot or html", p.out)
		default:
			p.format = ext
		}
	}
	switch p.format {
	case "svg", "png", "dot", "html":
	default:
		return usagef("format %q: use svg, png, dot or html", p.format)
	}
	if p.style.RankDir = strings.ToUpper(p.style.RankDir); p.style.RankDir != "TB" && p.style.RankDir != "LR" {
		return usagef("--rankdir must be TB or LR")
	}
	s := p.sel
	switch {
	case s.First < 0 || s.Last < 0:
		return usagef("--first and --last take a number >= 0")
	case s.Around != "" && (s.First > 0 || s.Last > 0):
		return usagef("--around cannot be used with --first or --last")
	case s.Depth < 0:
		return usagef("--depth takes a number >= 0")
	case cmd.Flags().Changed("depth") && s.Around == "":
		return usagef("--depth needs --around LAYER")
	case p.highlight && len(args) != 2:
		return usagef("--highlight needs two files: plot OLD.h5 NEW.h5 --highlight")
	}
	return nil
}

func runPlot(cmd *cobra.Command, args []string, p plotFlags) error {
	var graphs []*plot.Graph
	for _, path := range args {
		var rep *summary.Report
		err := summarize(io.Discard, path, summary.Options{ExpandNested: p.nested}, func(_ io.Writer, r *summary.Report) error {
			rep = r
			return nil
		})
		if err != nil {
			return err
		}
		g, err := plot.FromReport(rep)
		if err != nil {
			return fileErr(path, err)
		}
		graphs = append(graphs, g)
	}
	last := args[len(args)-1]
	g, err := selectGraphs(graphs, args, p)
	if err != nil {
		return err
	}
	var dot bytes.Buffer
	if err := g.WriteDOT(&dot, p.style); err != nil {
		return err
	}
	data := dot.Bytes()
	if p.format != "dot" {
		kind := p.format
		if kind == "html" {
			kind = "svg"
		}
		if data, err = plot.Render(cmd.Context(), dot.Bytes(), kind); err != nil {
			return fileErr(last, err)
		}
	}
	if p.format == "html" {
		var page bytes.Buffer
		if err := plot.WriteHTML(&page, g.Name+" - modelsurg plot", data); err != nil {
			return err
		}
		data = page.Bytes()
	}
	if p.out == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	return plot.WriteFile(p.out, data, p.force, args...)
}

// selectGraphs applies the selection to one graph, to a diff of two (the
// new file named in errors), or to each of two drawn side by side.
func selectGraphs(gs []*plot.Graph, args []string, p plotFlags) (*plot.Graph, error) {
	if p.highlight {
		gs = []*plot.Graph{plot.Diff(gs[0], gs[1])}
		args = args[1:]
	}
	var sel []*plot.Graph
	for i, g := range gs {
		s, err := g.Select(p.sel)
		if err != nil {
			return nil, fileErr(args[i], err)
		}
		sel = append(sel, s)
	}
	if len(sel) == 1 {
		return sel[0], nil
	}
	return plot.Pair(sel[0], sel[1], [2]string{"before", "after"}, [2]string{filepath.Base(args[0]), filepath.Base(args[1])}), nil
}
