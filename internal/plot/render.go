package plot

import (
	"bytes"
	"context"
	"fmt"

	graphviz "github.com/goccy/go-graphviz"
)

// Render lays out DOT text with Graphviz's dot and returns the picture as
// "svg" (Graphviz's own SVG) or "png" (drawn by rasterize from the layout,
// with the Go fonts built into the binary, so it does not depend on the
// fonts installed).
func Render(ctx context.Context, dot []byte, format string) ([]byte, error) {
	switch format {
	case "svg":
		return layout(ctx, dot, graphviz.SVG)
	case "png":
		js, err := layout(ctx, dot, graphviz.Format("json"))
		if err != nil {
			return nil, err
		}
		return rasterize(js)
	}
	return nil, fmt.Errorf("cannot render %q", format)
}

// layout runs dot on the DOT text and writes the result in format.
func layout(ctx context.Context, dot []byte, format graphviz.Format) ([]byte, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	defer gv.Close()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	defer g.Close()
	var out bytes.Buffer
	if err := gv.Render(ctx, g, format, &out); err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	return out.Bytes(), nil
}
