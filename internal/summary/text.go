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
	var rows [][]string
	for i, row := range r.Rows {
		if skipped(i, len(r.Rows), opt) {
			if i == opt.First {
				rows = append(rows, ellipsis(len(header)))
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
		rows = append(rows, cells)
	}
	done, err := asciiTable(w, header, rows, paramCol)
	if err == nil && !done {
		err = renderTable(w, header, rows, paramCol)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, " Total params: %s (%s)\n", Group(r.Total), Size(r.TrainableBytes+r.NonTrainableBytes))
	fmt.Fprintf(w, " Trainable params: %s (%s)\n", Group(r.Trainable), Size(r.TrainableBytes))
	fmt.Fprintf(w, " Non-trainable params: %s (%s)\n", Group(r.NonTrainable), Size(r.NonTrainableBytes))
	return nil
}

// paramCol is the column that is aligned right.
const paramCol = 2

// renderTable renders the table with tablewriter's ASCII style: columns
// separated by "|", a line under the header, column right aligned.
func renderTable(w io.Writer, header []string, rows [][]string, right int) error {
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignLeft
	}
	align[right] = tw.AlignRight
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
	for _, cells := range rows {
		if err := t.Append(toAny(cells)...); err != nil {
			return err
		}
	}
	return t.Render()
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
