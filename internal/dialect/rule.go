// Package dialect knows which config forms each Keras refuses to load: a
// table of named rules, each registered for the layer classes it concerns,
// that say without converting whether a model loads in Keras 2 (tf-keras)
// and in Keras 3, and why not. Every rule's facts were measured with
// tf_keras 2.21.0 and keras 3.15.1 (load_model, compile=False). Convert
// rewrites a model for the other Keras by the same table: a rule's
// rewrite (convert.go), or the dialect writer (model.InDialect). It imports
// no HDF5.
package dialect

import (
	"slices"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Severity tells a refusal from a warning.
type Severity int

const (
	// Refuses: the Keras the rule names cannot load the model.
	Refuses Severity = iota
	// Warns: the model loads, with a condition (e.g. the same Python).
	Warns
	// Unknown: the verdict cannot be predicted from the file alone.
	Unknown
)

// Finding is one place where a rule applies.
type Finding struct {
	Rule string
	// Keras is the Keras that refuses (or warns about) the form.
	Keras    model.Dialect
	Severity Severity
	// Layer is the layer's name; In is the path of nested models around it
	// (empty at the top level).
	Layer string
	In    []string
	What  string
	// Fix is the command that removes the form ("" when none will), and
	// FixReady whether that command exists yet.
	Fix      string
	FixReady bool
}

// Rule is one dialect rule.
type Rule struct {
	Name string
	// Keras is the Keras that refuses the form.
	Keras    model.Dialect
	Severity Severity
	// Classes are the layer classes the rule applies to; nil: every class.
	Classes []string
	// Fix is the command that will remove the form ("" when none will);
	// FixReady reports that it exists (convert is a later task).
	Fix      string
	FixReady bool
	// Differs marks a form that loads but computes differently in the
	// other Keras (a warning for check; convert refuses it).
	Differs bool
	// Layer reports what is wrong with one layer of a model written in
	// dialect d ("" when nothing); set for per-layer rules.
	Layer func(l *model.Layer, d model.Dialect) string
	// Model reports findings that need the whole model (nil for per-layer rules).
	Model func(r *Rule, m *model.Model) []Finding
}

// AppliesTo reports whether the rule concerns layers of class c.
func (r *Rule) AppliesTo(c string) bool { return r.Classes == nil || slices.Contains(r.Classes, c) }

// Detect returns the rule's findings in m, nested models included, in
// layer order.
func (r *Rule) Detect(m *model.Model) []Finding {
	if r.Model != nil {
		return r.Model(r, m)
	}
	var out []Finding
	m.Walk(func(path []string, l *model.Layer) {
		if !r.AppliesTo(l.Class) {
			return
		}
		if what := r.Layer(l, m.Dialect); what != "" {
			out = append(out, r.finding(path, l.Name, what))
		}
	})
	return out
}

func (r *Rule) finding(path []string, layer, what string) Finding {
	return Finding{
		Rule: r.Name, Keras: r.Keras, Severity: r.Severity,
		Layer: layer, In: slices.Clone(path), What: what,
		Fix: r.Fix, FixReady: r.FixReady,
	}
}

// Find returns the rule named name, or nil.
func Find(name string) *Rule {
	for i := range Rules {
		if Rules[i].Name == name {
			return &Rules[i]
		}
	}
	return nil
}
