package plot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/fogleman/gg"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// PNG pictures are drawn here from dot's layout (its JSON output with
// xdot drawing operations), not by go-graphviz's own PNG renderer, which
// fills curves and loses the text of HTML-like labels.

// pngScale is pixels per point (144 dpi); pngMaxPixels caps a huge
// picture, which is then drawn smaller.
const (
	pngScale     = 2.0
	pngMaxPixels = 16 << 20
	pngPad       = 4.0 // points of margin, as Graphviz's SVG has
)

// xop is one xdot drawing operation as Graphviz's JSON writes it.
type xop struct {
	Op       string       `json:"op"`
	Color    string       `json:"color"`
	Points   [][2]float64 `json:"points"`
	Rect     []float64    `json:"rect"`
	Pt       []float64    `json:"pt"`
	Align    string       `json:"align"`
	Width    float64      `json:"width"`
	Text     string       `json:"text"`
	Size     float64      `json:"size"`
	Fontchar int          `json:"fontchar"`
	Style    string       `json:"style"`
}

type xobj struct {
	Nodes []int  `json:"nodes"` // set on subgraphs
	Draw  []xop  `json:"_draw_"`
	LDraw []xop  `json:"_ldraw_"`
	HDraw []xop  `json:"_hdraw_"`
	TDraw []xop  `json:"_tdraw_"`
	BB    string `json:"bb"`
}

type xgraph struct {
	xobj
	Objects []xobj `json:"objects"`
	Edges   []xobj `json:"edges"`
}

// rasterize draws a layout (dot -Tjson output) as a PNG.
func rasterize(layout []byte) ([]byte, error) {
	var g xgraph
	if err := json.Unmarshal(cleanJSON(layout), &g); err != nil {
		return nil, fmt.Errorf("reading the layout: %w", err)
	}
	bb, err := parseFloats(g.BB)
	if err != nil || len(bb) != 4 {
		return nil, fmt.Errorf("reading the layout: bad bounding box %q", g.BB)
	}
	w, h := bb[2]-bb[0]+2*pngPad, bb[3]-bb[1]+2*pngPad
	s := pngScale
	if px := w * h * s * s; px > pngMaxPixels {
		s *= math.Sqrt(pngMaxPixels / px)
	}
	r := &painter{dc: gg.NewContext(int(math.Ceil(w*s)), int(math.Ceil(h*s))), s: s, x0: bb[0] - pngPad, top: bb[3] + pngPad}
	r.dc.SetRGB(1, 1, 1)
	r.dc.Clear()
	// the graph and its clusters, then edges, then nodes on top
	r.draw(g.Draw, g.LDraw)
	for _, o := range g.Objects {
		if o.Nodes != nil {
			r.draw(o.Draw, o.LDraw)
		}
	}
	for _, e := range g.Edges {
		r.draw(e.Draw, e.HDraw, e.TDraw, e.LDraw)
	}
	for _, o := range g.Objects {
		if o.Nodes == nil {
			r.draw(o.Draw, o.LDraw)
		}
	}
	var out bytes.Buffer
	// small pictures (the README's) are packed tight, big ones quickly
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if w*h*s*s < 4<<20 {
		enc.CompressionLevel = png.BestCompression
	}
	if err := enc.Encode(&out, r.dc.Image()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type painter struct {
	dc         *gg.Context
	s, x0, top float64
	pen, fill  color.Color
	width      float64
	dash       []float64
	fontSize   float64
	fontStyle  int
}

func (r *painter) xy(p [2]float64) (float64, float64) {
	return (p[0] - r.x0) * r.s, (r.top - p[1]) * r.s
}

func (r *painter) draw(lists ...[]xop) {
	r.pen, r.fill, r.width, r.dash = color.Black, color.Black, 1, nil
	r.fontSize, r.fontStyle = 14, 0
	for _, ops := range lists {
		for _, op := range ops {
			r.op(op)
		}
	}
}

func (r *painter) op(op xop) {
	switch op.Op {
	case "c":
		r.pen = parseColor(op.Color)
	case "C":
		r.fill = parseColor(op.Color)
	case "S":
		r.setStyle(op.Style)
	case "F":
		r.fontSize = op.Size
	case "t":
		r.fontStyle = op.Fontchar
	case "T":
		r.text(op)
	case "P", "p", "L", "B", "b":
		r.path(op)
	case "E", "e":
		if len(op.Rect) == 4 {
			x, y := r.xy([2]float64{op.Rect[0], op.Rect[1]})
			r.dc.DrawEllipse(x, y, op.Rect[2]*r.s, op.Rect[3]*r.s)
			r.finish(op.Op == "E")
		}
	}
}

func (r *painter) setStyle(s string) {
	switch {
	case s == "solid":
		r.dash = nil
	case strings.HasPrefix(s, "dashed"):
		r.dash = []float64{5 * r.s, 2 * r.s}
	case strings.HasPrefix(s, "dotted"):
		r.dash = []float64{1 * r.s, 2 * r.s}
	case s == "bold":
		r.width = 2
	case strings.HasPrefix(s, "setlinewidth("):
		if v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "setlinewidth("), ")"), 64); err == nil {
			r.width = v
		}
	}
}

// path draws a polygon (P filled, p outlined), a polyline (L) or a
// B-spline of cubic Bézier pieces. Graphviz's JSON writes an outlined
// B-spline as "b" (an edge) and a filled one as "B", the other way round
// from xdot's text form.
func (r *painter) path(op xop) {
	pts := op.Points
	if len(pts) < 2 {
		return
	}
	r.dc.MoveTo(r.xy(pts[0]))
	if op.Op == "B" || op.Op == "b" {
		for i := 1; i+2 < len(pts); i += 3 {
			x1, y1 := r.xy(pts[i])
			x2, y2 := r.xy(pts[i+1])
			x3, y3 := r.xy(pts[i+2])
			r.dc.CubicTo(x1, y1, x2, y2, x3, y3)
		}
	} else {
		for _, p := range pts[1:] {
			r.dc.LineTo(r.xy(p))
		}
	}
	if op.Op == "P" || op.Op == "p" {
		r.dc.ClosePath()
	}
	r.finish(op.Op == "P" || op.Op == "B")
}

// finish fills the current path (when filled) and strokes it with the pen.
func (r *painter) finish(filled bool) {
	if filled && !transparent(r.fill) {
		r.dc.SetColor(r.fill)
		r.dc.FillPreserve()
	}
	if transparent(r.pen) {
		r.dc.ClearPath()
		return
	}
	r.dc.SetColor(r.pen)
	r.dc.SetLineWidth(r.width * r.s)
	r.dc.SetDash(r.dash...)
	r.dc.Stroke()
}

// text draws a span at the font size that makes it as wide as dot
// measured it (the Go fonts run wider than dot's Helvetica metrics).
func (r *painter) text(op xop) {
	if len(op.Pt) != 2 || op.Text == "" {
		return
	}
	size := r.fontSize * r.s
	r.dc.SetFontFace(fontFace(r.fontStyle, size))
	w, _ := r.dc.MeasureString(op.Text)
	if want := op.Width * r.s; w > want && want > 0 {
		size *= want / w
		w = want
		r.dc.SetFontFace(fontFace(r.fontStyle, size))
	}
	x, y := r.xy([2]float64{op.Pt[0], op.Pt[1]})
	ax := 0.0
	switch op.Align {
	case "c":
		ax = 0.5
	case "r":
		ax = 1
	}
	r.dc.SetColor(r.pen)
	r.dc.DrawString(op.Text, x-ax*w, y)
}

var (
	faceMu sync.Mutex
	faces  = map[[2]int]font.Face{}
	fonts  = map[int]*truetype.Font{}
)

// fontFace returns a Go font face (flags: 1 bold, 2 italic) at size
// pixels, rounded to a quarter pixel.
func fontFace(flags int, size float64) font.Face {
	flags &= 3
	key := [2]int{flags, int(math.Round(size * 4))}
	faceMu.Lock()
	defer faceMu.Unlock()
	if f, ok := faces[key]; ok {
		return f
	}
	ft, ok := fonts[flags]
	if !ok {
		ttf := [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF}[flags]
		ft, _ = truetype.Parse(ttf) // the Go fonts always parse
		fonts[flags] = ft
	}
	f := truetype.NewFace(ft, &truetype.Options{Size: float64(key[1]) / 4, Hinting: font.HintingNone})
	faces[key] = f
	return f
}

func parseColor(s string) color.Color {
	switch s {
	case "black":
		return color.Black
	case "white":
		return color.White
	case "transparent", "none", "invis":
		return color.Transparent
	}
	if !strings.HasPrefix(s, "#") || (len(s) != 7 && len(s) != 9) {
		return color.Black
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.Black
	}
	if len(s) == 7 {
		return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
	}
	return color.NRGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}
}

func transparent(c color.Color) bool {
	_, _, _, a := c.RGBA()
	return a == 0
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// cleanJSON blanks control characters, which Graphviz can leave unescaped
// in a string when it reads past the end of a style (see Node.box).
func cleanJSON(b []byte) []byte {
	out := b
	for i, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			if &out[0] == &b[0] {
				out = append([]byte(nil), b...)
			}
			out[i] = ' '
		}
	}
	return out
}
