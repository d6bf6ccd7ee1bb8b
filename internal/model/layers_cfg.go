package model

import (
	"strings"

	"github.com/modelsurg/modelsurg/internal/jsonx"
)

// Reading layer configs: integers, flags, tuples and axes as the Keras
// constructors read them, with sizes capped at maxSize.

// number reads an integer config value, capped at ±maxSize.
func (c *lcfg) number(key string, v *jsonx.Value) (int, error) {
	if v == nil || v.Kind != jsonx.Number {
		return 0, c.badf("config %q is not an integer", key)
	}
	if f, ok := v.Float64(); ok && (f > maxSize || f < -maxSize) {
		return 0, c.errf("config %q is too large", key)
	}
	n, ok := v.Int()
	if !ok {
		return 0, c.badf("config %q is not an integer", key)
	}
	return int(n), nil
}

// integer reads key as an integer; a missing or null key gives def.
func (c *lcfg) integer(key string, def int) (int, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return def, nil
	}
	return c.number(key, v)
}

// required reads key as an integer that must be present.
func (c *lcfg) required(key string) (int, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return 0, c.badf("config %q is missing", key)
	}
	return c.number(key, v)
}

// positive reads a required integer that must be > 0.
func (c *lcfg) positive(key string) (int, error) {
	n, err := c.required(key)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, c.errf("%s must be positive, got %d", key, n)
	}
	return n, nil
}

// boolean reads key as Python reads a flag: missing gives def, any
// present value its truth value (1 is true; 0, "", null and [] are false).
func (c *lcfg) boolean(key string, def bool) (bool, error) {
	v := c.o.Get(key)
	if v == nil {
		return def, nil
	}
	return truthy(v), nil
}

// truthy is Python's bool() of a JSON value.
func truthy(v *jsonx.Value) bool {
	switch {
	case v == nil:
		return false
	case v.Kind == jsonx.Bool:
		return v.B
	case v.Kind == jsonx.Number:
		f, ok := v.Float64()
		return !ok || f != 0 // NaN and infinities are true
	case v.Kind == jsonx.String:
		return v.Str != ""
	case v.Kind == jsonx.Array:
		return len(v.Elems) > 0
	case v.Kind == jsonx.Object:
		return v.Obj != nil && v.Obj.Len() > 0
	}
	return false
}

// str reads key as a string; missing or null gives def.
func (c *lcfg) str(key, def string) (string, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return def, nil
	}
	if v.Kind != jsonx.String {
		return "", c.badf("config %q is not a string", key)
	}
	return v.Str, nil
}

// ints reads key as a list of integers (a bare integer gives a
// one-element list). Missing or null gives nil, false.
func (c *lcfg) ints(key string) ([]int, bool, error) {
	v := c.o.Get(key)
	if v.IsNull() {
		return nil, false, nil
	}
	if v.Kind == jsonx.Number {
		n, err := c.number(key, v)
		return []int{n}, true, err
	}
	if v.Kind != jsonx.Array {
		return nil, false, c.badf("config %q is not an integer or a list of integers", key)
	}
	if len(v.Elems) > 64 {
		return nil, false, c.errf("config %q has too many entries", key)
	}
	out := make([]int, len(v.Elems))
	for i, e := range v.Elems {
		n, err := c.number(key, e)
		if err != nil {
			return nil, false, err
		}
		out[i] = n
	}
	return out, true, nil
}

// tuple reads an n-tuple of positive integers as Keras's
// standardize_tuple does: an integer is repeated n times. Missing or null
// gives def repeated.
func (c *lcfg) tuple(key string, n, def int) ([]int, error) {
	vals, ok, err := c.ints(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		if def <= 0 {
			return nil, c.badf("config %q is missing", key)
		}
		vals = []int{def}
	}
	if len(vals) == 1 && n > 1 {
		v := vals[0]
		vals = make([]int, n)
		for i := range vals {
			vals[i] = v
		}
	}
	if len(vals) != n {
		return nil, c.errf("%s must have %d value%s, got %d", key, n, plural(n), len(vals))
	}
	for _, v := range vals {
		if v <= 0 {
			return nil, c.errf("%s must be positive, got %s", key, tupleString(vals))
		}
	}
	return vals, nil
}

// channelsFirst reads data_format.
func (c *lcfg) channelsFirst() (bool, error) {
	f, err := c.str("data_format", "channels_last")
	if err != nil {
		return false, err
	}
	switch f {
	case "channels_last":
		return false, nil
	case "channels_first":
		return true, nil
	}
	return false, c.badf("unknown data_format %q", f)
}

// padding reads padding (valid, same, causal), lower-cased as Keras does.
func (c *lcfg) padding(causalOK bool) (string, error) {
	p, err := c.str("padding", "valid")
	if err != nil {
		return "", err
	}
	p = strings.ToLower(p)
	switch p {
	case "valid", "same":
		return p, nil
	case "causal":
		if causalOK {
			return p, nil
		}
		return "", c.errf("causal padding is not supported by %s", c.class)
	}
	return "", c.badf("unknown padding %q", p)
}

// mul multiplies two sizes (no None) with the maxSize cap.
func (c *lcfg) mul(a, b int) (int, error) {
	if a < 0 || b < 0 {
		return 0, c.errf("negative size")
	}
	if a != 0 && b > maxSize/a {
		return 0, c.errf("size %d x %d is too large", a, b)
	}
	return a * b, nil
}

// add adds two sizes (no None) with the maxSize cap.
func (c *lcfg) add(a, b int) (int, error) {
	if a < 0 || b < 0 || a > maxSize-b {
		return 0, c.errf("size %d + %d is out of range", a, b)
	}
	return a + b, nil
}

// prod multiplies sizes (no None).
func (c *lcfg) prod(dims ...int) (int, error) {
	p := 1
	for _, d := range dims {
		var err error
		if p, err = c.mul(p, d); err != nil {
			return 0, err
		}
	}
	return p, nil
}

// mulDim multiplies a dimension that may be None by a factor.
func (c *lcfg) mulDim(d, f int) (int, error) {
	if d == None {
		return None, nil
	}
	return c.mul(d, f)
}

// rank checks that s has exactly n dimensions.
func (c *lcfg) rank(s Shape, n int) error {
	if len(s) != n {
		return c.errf("expects inputs of rank %d, got %s", n, s)
	}
	return nil
}

// minRank checks that s has at least n dimensions.
func (c *lcfg) minRank(s Shape, n int) error {
	if len(s) < n {
		return c.errf("expects inputs of rank >= %d, got %s", n, s)
	}
	return nil
}

// axis normalizes a possibly negative axis for a shape of the given rank.
func (c *lcfg) axis(a, rank int) (int, error) {
	if a < -rank || a >= rank {
		return 0, c.errf("axis %d is out of range for rank %d", a, rank)
	}
	if a < 0 {
		a += rank
	}
	return a, nil
}

// known returns d or an error naming what must be defined.
func (c *lcfg) known(d int, what string, s Shape) (int, error) {
	if d == None {
		return 0, c.errf("the %s of the input %s must be defined", what, s)
	}
	return d, nil
}
