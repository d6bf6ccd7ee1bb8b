package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/modelsurg/modelsurg/internal/model"
)

// Report is what Compare found. Lists are in a's layer order (b's for
// Added); empty lists mean nothing of that kind.
type Report struct {
	A Info `json:"a"`
	B Info `json:"b"`
	// Model lists the changes of the models themselves (class, name,
	// config keys other than the layers).
	Model   []KeyChange `json:"model"`
	Added   []Layer     `json:"added"`
	Removed []Layer     `json:"removed"`
	Renamed []Rename    `json:"renamed"`
	Changed []Change    `json:"changed"`
	Totals  Totals      `json:"totals"`
}

// Info describes one side.
type Info struct {
	Label       string `json:"file"`
	Name        string `json:"name,omitempty"`
	Class       string `json:"class,omitempty"`
	Dialect     string `json:"dialect,omitempty"`
	WeightsOnly bool   `json:"weights_only,omitempty"`
	Layers      int    `json:"layers"`
	Weights     int    `json:"weights"`
	Params      int64  `json:"params"`
}

// Layer names a layer added or removed; Name is its path inside nested models.
type Layer struct {
	Name  string `json:"name"`
	Class string `json:"class,omitempty"`
}

// Rename is a layer of a found in b under another name.
type Rename struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Class string `json:"class,omitempty"`
}

// Change is a layer present in both that differs.
type Change struct {
	Name  string `json:"name"`
	Class string `json:"class,omitempty"`
	// ClassB is b's class when it is another.
	ClassB  string         `json:"class_b,omitempty"`
	Config  []KeyChange    `json:"config"`
	Weights []WeightChange `json:"weights"`
}

// WeightChange is one weight that differs, by position in its layer.
type WeightChange struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	ShapeA     []int  `json:"shape_a,omitempty"`
	ShapeB     []int  `json:"shape_b,omitempty"`
	DTypeA     string `json:"dtype_a,omitempty"`
	DTypeB     string `json:"dtype_b,omitempty"`
	MaxAbsDiff Float  `json:"max_abs_diff,omitempty"`
}

// Totals count the weights of the layers compared (both sides, renamed
// included) by outcome.
type Totals struct {
	Equal        int `json:"equal"`
	Different    int `json:"different"`
	ShapeChanged int `json:"shape_changed"`
	Added        int `json:"added"`
	Removed      int `json:"removed"`
}

// Float is a number that JSON writes as a string when it is not finite.
type Float float64

// MarshalJSON writes f, or "inf" for +Inf.
func (f Float) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return []byte(`"` + f.String() + `"`), nil
	}
	return []byte(strconv.FormatFloat(float64(f), 'g', -1, 64)), nil
}

func (f Float) String() string {
	if math.IsInf(float64(f), 1) {
		return "inf"
	}
	return strconv.FormatFloat(float64(f), 'g', 6, 64)
}

// Equal reports whether the files hold the same model and weights.
func (r *Report) Equal() bool {
	return len(r.Model)+len(r.Added)+len(r.Removed)+len(r.Renamed)+len(r.Changed) == 0
}

// JSON writes the report as one JSON object, with "equal" first.
func (r *Report) JSON(w io.Writer) error {
	out := struct {
		Equal bool `json:"equal"`
		*Report
	}{r.Equal(), r.filled()}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// filled is a copy of r whose nil lists are empty, for JSON.
func (r *Report) filled() *Report {
	c := *r
	c.Model, c.Added, c.Removed, c.Renamed = nonNil(c.Model), nonNil(c.Added), nonNil(c.Removed), nonNil(c.Renamed)
	c.Changed = nonNil(c.Changed)
	for i := range c.Changed {
		c.Changed[i].Config, c.Changed[i].Weights = nonNil(c.Changed[i].Config), nonNil(c.Changed[i].Weights)
	}
	return &c
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return append([]T(nil), s...)
}

// Text writes the report for people: one line per finding, then totals.
func (r *Report) Text(w io.Writer) error {
	var b strings.Builder
	for _, k := range r.Model {
		fmt.Fprintf(&b, "model %s\n", keyText(k))
	}
	for _, l := range r.Removed {
		fmt.Fprintf(&b, "- removed layer %q%s\n", l.Name, classText(l.Class))
	}
	for _, l := range r.Added {
		fmt.Fprintf(&b, "+ added layer %q%s\n", l.Name, classText(l.Class))
	}
	for _, l := range r.Renamed {
		fmt.Fprintf(&b, "~ renamed layer %q -> %q%s\n", l.From, l.To, classText(l.Class))
	}
	for _, c := range r.Changed {
		changeText(&b, c)
	}
	t := r.Totals
	verdict := "different"
	if r.Equal() {
		verdict = "equal"
	}
	fmt.Fprintf(&b, "%s: %d -> %d layers, %d -> %d params; weights: %d equal, %d different, %d shape changed, %d added, %d removed\n",
		verdict, r.A.Layers, r.B.Layers, r.A.Params, r.B.Params, t.Equal, t.Different, t.ShapeChanged, t.Added, t.Removed)
	_, err := io.WriteString(w, b.String())
	return err
}

func changeText(b *strings.Builder, c Change) {
	fmt.Fprintf(b, "* changed layer %q%s\n", c.Name, classText(c.Class))
	if c.ClassB != "" {
		fmt.Fprintf(b, "    class %s -> %s\n", c.Class, c.ClassB)
	}
	for _, k := range c.Config {
		fmt.Fprintf(b, "    config %s\n", keyText(k))
	}
	for _, wc := range c.Weights {
		fmt.Fprintf(b, "    weight %d %q: ", wc.Index, wc.Name)
		switch wc.Status {
		case Different:
			fmt.Fprintf(b, "different, max abs diff %s\n", wc.MaxAbsDiff)
		case DTypeChanged:
			fmt.Fprintf(b, "dtype %s -> %s, max abs diff %s\n", wc.DTypeA, wc.DTypeB, wc.MaxAbsDiff)
		case ShapeChanged:
			fmt.Fprintf(b, "shape %s -> %s\n", model.Shape(wc.ShapeA), model.Shape(wc.ShapeB))
		case Added:
			fmt.Fprintf(b, "added %s %s\n", model.Shape(wc.ShapeB), wc.DTypeB)
		case Removed:
			fmt.Fprintf(b, "removed %s %s\n", model.Shape(wc.ShapeA), wc.DTypeA)
		}
	}
}

func keyText(k KeyChange) string {
	switch {
	case k.A == "":
		return fmt.Sprintf("%q added: %s", k.Key, k.B)
	case k.B == "":
		return fmt.Sprintf("%q removed: %s", k.Key, k.A)
	}
	return fmt.Sprintf("%q: %s -> %s", k.Key, k.A, k.B)
}

func classText(class string) string {
	if class == "" {
		return ""
	}
	return " (" + class + ")"
}
