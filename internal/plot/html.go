package plot

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
	"regexp"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// prolog matches what precedes the <svg> element in Graphviz's output:
// the XML declaration, the doctype and comments.
var prolog = regexp.MustCompile(`(?s)^.*?(<svg\b)`)

// WriteHTML writes one self-contained page (no network) that shows the
// SVG with pan, zoom and a search box for layer names.
func WriteHTML(w io.Writer, title string, svg []byte) error {
	body := prolog.ReplaceAll(bytes.TrimSpace(svg), []byte("$1"))
	return page.Execute(w, struct {
		Title string
		SVG   template.HTML
	}{title, template.HTML(body)})
}
