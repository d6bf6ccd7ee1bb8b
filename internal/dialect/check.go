package dialect

import (
	"errors"
	"fmt"

	"github.com/modelsurg/modelsurg/internal/model"
)

// State is a verdict on loading a model in one Keras.
type State string

const (
	Loads       State = "loads"
	DoesNotLoad State = "does not load"
	Unsure      State = "unknown"
)

// Verdict says whether a model loads in one Keras, and why not.
type Verdict struct {
	Keras model.Dialect
	State State
	// Findings are the refusals (or, for Unsure, the unknowns) and the
	// warnings that concern this Keras, in rule order.
	Findings []Finding
}

// WeightProblem is a saved weight that contradicts the config.
type WeightProblem struct {
	Layer string `json:"layer"`
	What  string `json:"what"`
}

// Detect runs every rule on m, in table order.
func Detect(m *model.Model) []Finding {
	var out []Finding
	for i := range Rules {
		out = append(out, Rules[i].Detect(m)...)
	}
	return out
}

// CheckWeights matches every layer's saved weights (a nested model's are
// in its own layer's group) with those the config implies, as
// model.LayerParams does.
func CheckWeights(m *model.Model, s *model.Shapes) []WeightProblem {
	var out []WeightProblem
	for _, l := range m.Layers {
		if _, err := model.LayerParams(m, l, s); err != nil {
			out = append(out, WeightProblem{Layer: l.Name, What: err.Error()})
		}
	}
	return out
}

// Judge gives the verdict for Keras k from the findings and the weight
// problems: any refusal or weight problem means it does not load; else an
// unknown class means the verdict is unknown.
func Judge(k model.Dialect, fs []Finding, weights []WeightProblem) Verdict {
	v := Verdict{Keras: k, State: Loads}
	var refusals, unknowns, warnings []Finding
	for _, f := range fs {
		if f.Keras != k && f.Keras != Any {
			continue
		}
		switch f.Severity {
		case Refuses:
			refusals = append(refusals, f)
		case Unknown:
			unknowns = append(unknowns, f)
		default:
			warnings = append(warnings, f)
		}
	}
	switch {
	case len(refusals) > 0 || len(weights) > 0:
		v.State, v.Findings = DoesNotLoad, refusals
	case len(unknowns) > 0:
		v.State, v.Findings = Unsure, unknowns
	}
	v.Findings = append(v.Findings, warnings...)
	return v
}

// Message is a finding as one line: the layer, what, and the fix.
func (f Finding) Message() string {
	where := fmt.Sprintf("layer %q", f.Layer)
	if len(f.In) > 0 {
		where += fmt.Sprintf(" in %q", joinPath(f.In))
	}
	s := where + ": " + f.What
	switch {
	case f.Fix != "" && f.FixReady:
		s += " (fix: " + f.Fix + ")"
	case f.Fix != "":
		s += " (fix: " + f.Fix + ", not yet available)"
	}
	return s
}

func joinPath(p []string) string {
	s := p[0]
	for _, x := range p[1:] {
		s += " > " + x
	}
	return s
}

func isUnknown(err error) bool { return errors.Is(err, model.ErrUnknownLayer) }
