// Package plothelp holds the plot command's help text, shared by the
// modelsurg-plot helper and the thin "modelsurg plot" command that runs it.
// It imports nothing, so the main binary does not link Graphviz.
package plothelp

// Use is the plot command's usage line.
const Use = "plot MODEL.h5 [NEW.h5] -o OUT.svg|OUT.png|OUT.dot|OUT.html"

// Short is the one-line description.
const Short = "Draw the model's layer graph as SVG, PNG, DOT or an HTML page"

// Long is the full description.
const Long = `plot draws the model's layers as Keras's plot_model(show_shapes=True,
show_layer_names=True) does: one box per layer with its name, class, output
shape and parameter count (left out when 0), an arrow per connection.
Trainable layers have blue titles, frozen ones grey. The layout is Graphviz's
dot, run inside modelsurg (no Graphviz needs to be installed).

The format is the output's extension (.svg, .png, .dot, .html) or --format;
-o - writes to standard output (SVG unless --format says otherwise). The
.html page is one file that needs no network: the SVG with pan (drag), zoom
(wheel, +/-) and a search box for layer names (Enter goes to the next match;
page.html#search=NAME searches on load).

--first N, --last N (both: the two ends) or --around LAYER --depth K draw a
part of a big model; the connections to the layers left out end in a
dashed placeholder box. --expand-nested draws the layers of nested models
inside a frame; otherwise a nested model is one box.

Given two files (a model before and after a surgery), plot draws them side
by side; with --highlight it draws one graph of the new model where the
layers the surgery added are green, those it removed red (dashed) and those
whose output shape, class or parameter count changed orange, with the old
shape beside the new one. Layers are matched by name.`
