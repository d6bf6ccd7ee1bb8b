package summary

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// TextOptions control the table.
type TextOptions struct {
	// First and Last keep only the first and last rows (0: all), with a
	// "..." row between them.
	First, Last int
	// ShowTrainable adds a Trainable column.
	ShowTrainable bool
}

// Text writes the report as Keras's summary table: Layer (type), Output
// Shape, Param # and, except for Sequential models, Connected to; then the
// three totals.
func (r *Report) Text(w io.Writer, opt TextOptions) error {
	if r.WeightsOnly {
		fmt.Fprintln(w, "Weights-only file (no model config): layer names and parameter counts")
	} else {
		fmt.Fprintf(w, "Model: %q\n", r.Name)
	}
	header := []string{"Layer (type)", "Output Shape", "Param #"}
	connected := !r.Sequential
	if connected {
		header = append(header, "Connected to")
	}
	if opt.ShowTrainable {
		header = append(header, "Trainable")
	}
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignLeft
	}
	align[2] = tw.AlignRight

	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols:  tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{Separators: tw.Separators{BetweenColumns: tw.On}, Lines: tw.Lines{ShowHeaderLine: tw.On}},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	t.Configure(func(c *tablewriter.Config) {
		c.Row.Alignment.PerColumn = align
		c.Header.Alignment.PerColumn = align
	})
	t.Header(toAny(header)...)
	for i, row := range r.Rows {
		if skipped(i, len(r.Rows), opt) {
			if i == opt.First {
				t.Append(toAny(ellipsis(len(header)))...)
			}
			continue
		}
		cells := []string{layerCell(row), ShapeText(row.Outputs), Group(row.Params)}
		if r.WeightsOnly {
			cells[1] = "-"
		}
		if connected {
			in := "-"
			if len(row.Inbound) > 0 {
				in = strings.Join(row.Inbound, "\n")
			}
			cells = append(cells, in)
		}
		if opt.ShowTrainable {
			cells = append(cells, yesNo(row.Trainable))
		}
		if err := t.Append(toAny(cells)...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	b := int64(r.BytesPerParam)
	fmt.Fprintf(w, " Total params: %s (%s)\n", Group(r.Total), Size(r.Total*b))
	fmt.Fprintf(w, " Trainable params: %s (%s)\n", Group(r.Trainable), Size(r.Trainable*b))
	fmt.Fprintf(w, " Non-trainable params: %s (%s)\n", Group(r.NonTrainable), Size(r.NonTrainable*b))
	return nil
}

func skipped(i, n int, opt TextOptions) bool {
	if opt.First == 0 && opt.Last == 0 {
		return false
	}
	return i >= opt.First && i < n-opt.Last
}

func layerCell(row Row) string {
	name := row.Name
	if row.Class != "" {
		name += " (" + row.Class + ")"
	}
	return strings.Repeat("  ", row.Depth) + name
}

func ellipsis(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "..."
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
