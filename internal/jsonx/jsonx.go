// Package jsonx reads and writes JSON the way Python's json module does:
// object keys keep their order, numbers keep their text (NaN and Infinity
// included), and Marshal prints Python's json.dumps layout, so a Keras
// config read and written back is unchanged byte for byte.
package jsonx

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is one JSON value. Numbers keep their source text in Str.
type Value struct {
	Kind  Kind
	B     bool
	Str   string // String contents, or Number text
	Elems []*Value
	Obj   *Obj
}

// Obj is a JSON object with ordered keys.
type Obj struct {
	Keys []string
	Vals []*Value
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// Parse decodes one JSON document.
func Parse[T string | []byte](data T) (*Value, error) {
	// One string of the whole document: every key, string and number is a
	// substring of it, not a copy of its own.
	p := &parser{s: string(data)}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, p.errf("unexpected data after the value")
	}
	return v, nil
}

type parser struct {
	s string
	i int
	// vals (array elements) and keys with objVals (object fields) are
	// stacks of what the enclosing arrays and objects hold so far; each
	// array or object takes its part once, at its exact length, when it
	// ends.
	vals    []*Value
	keys    []string
	objVals []*Value
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("json: offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) lit(word string) bool {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return true
	}
	return false
}

func (p *parser) value(depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, p.errf("nesting deeper than %d", maxDepth)
	}
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		if p.lit("-Infinity") {
			return &Value{Kind: Number, Str: "-Infinity"}, nil
		}
		return p.number()
	case p.lit("null"):
		return &Value{Kind: Null}, nil
	case p.lit("true"):
		return &Value{Kind: Bool, B: true}, nil
	case p.lit("false"):
		return &Value{Kind: Bool}, nil
	case p.lit("NaN"):
		return &Value{Kind: Number, Str: "NaN"}, nil
	case p.lit("Infinity"):
		return &Value{Kind: Number, Str: "Infinity"}, nil
	default:
		return nil, p.errf("unexpected character %q", c)
	}
}

func (p *parser) number() (*Value, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.errf("malformed number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errf("malformed number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errf("malformed number")
		}
	}
	return &Value{Kind: Number, Str: p.s[start:p.i]}, nil
}

func (p *parser) str() (string, error) {
	p.i++ // opening quote
	// most strings have no escape: one copy of the bytes between the quotes
	for j := p.i; j < len(p.s); j++ {
		if c := p.s[j]; c == '"' {
			s := p.s[p.i:j]
			p.i = j + 1
			return s, nil
		} else if c == '\\' || c < 0x20 {
			break
		}
	}
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", p.errf("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return "", p.errf("unterminated string")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) && p.i+6 <= len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					r2, err := p.hex4()
					if err == nil {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b.WriteRune(d)
							continue
						}
					}
					p.i = save
				}
				b.WriteRune(r)
			default:
				return "", p.errf("bad escape \\%c", e)
			}
		case c < 0x20:
			return "", p.errf("control character in string")
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, p.errf("short \\u escape")
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 16)
	if err != nil {
		return 0, p.errf("bad \\u escape")
	}
	p.i += 4
	return rune(n), nil
}

func (p *parser) array(depth int) (*Value, error) {
	p.i++
	v := &Value{Kind: Array}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		v.Elems = []*Value{}
		return v, nil
	}
	base := len(p.vals)
	for {
		p.ws()
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.vals = append(p.vals, e)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errf("unterminated array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			v.Elems = append([]*Value(nil), p.vals[base:]...)
			p.vals = p.vals[:base]
			return v, nil
		default:
			return nil, p.errf("expected , or ] in array")
		}
	}
}

func (p *parser) object(depth int) (*Value, error) {
	p.i++
	o := &Obj{}
	v := &Value{Kind: Object, Obj: o}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	base := len(p.keys)
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.errf("expected a string key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("expected : after key")
		}
		p.i++
		p.ws()
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.field(base, k, e)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errf("unterminated object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			o.Keys = append([]string(nil), p.keys[base:]...)
			o.Vals = append([]*Value(nil), p.objVals[base:]...)
			p.keys, p.objVals = p.keys[:base], p.objVals[:base]
			return v, nil
		default:
			return nil, p.errf("expected , or } in object")
		}
	}
}

// field adds key k with value e to the object whose keys start at base on
// the stack. Python keeps the last of duplicate keys, in the first one's
// place.
func (p *parser) field(base int, k string, e *Value) {
	for j := base; j < len(p.keys); j++ {
		if p.keys[j] == k {
			p.objVals[j] = e
			return
		}
	}
	p.keys = append(p.keys, k)
	p.objVals = append(p.objVals, e)
}

// Marshal encodes v as Python's json.dumps does with its defaults:
// ", " and ": " separators and non-ASCII escaped as \uXXXX.
func Marshal(v *Value) []byte {
	var b strings.Builder
	write(&b, v)
	return []byte(b.String())
}

func write(b *strings.Builder, v *Value) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch v.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		if v.B {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Number:
		b.WriteString(v.Str)
	case String:
		writeString(b, v.Str)
	case Array:
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			write(b, e)
		}
		b.WriteByte(']')
	case Object:
		b.WriteByte('{')
		for i, k := range v.Obj.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, k)
			b.WriteString(": ")
			write(b, v.Obj.Vals[i])
		}
		b.WriteByte('}')
	}
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r < 0x10000):
				fmt.Fprintf(b, `\u%04x`, r)
			case r >= 0x10000:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// Constructors.

func Str(s string) *Value     { return &Value{Kind: String, Str: s} }
func BoolV(x bool) *Value     { return &Value{Kind: Bool, B: x} }
func NullV() *Value           { return &Value{Kind: Null} }
func Int(n int64) *Value      { return &Value{Kind: Number, Str: strconv.FormatInt(n, 10)} }
func Arr(e ...*Value) *Value  { return &Value{Kind: Array, Elems: append([]*Value{}, e...)} }
func NewObject() *Value       { return &Value{Kind: Object, Obj: &Obj{}} }
func Float(f float64) *Value  { return &Value{Kind: Number, Str: pyFloat(f)} }
func (v *Value) IsNull() bool { return v == nil || v.Kind == Null }
func (o *Obj) Len() int       { return len(o.Keys) }

// pyFloat prints f as Python's repr does.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	// Python's repr: shortest digits, exponent form below 1e-4 and from 1e16.
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Obj object access. A nil *Obj acts as an empty object.

func (o *Obj) index(k string) int {
	if o == nil {
		return -1
	}
	for i, key := range o.Keys {
		if key == k {
			return i
		}
	}
	return -1
}

// Get returns the value of key k, or nil.
func (o *Obj) Get(k string) *Value {
	if i := o.index(k); i >= 0 {
		return o.Vals[i]
	}
	return nil
}

// Has reports whether key k is present.
func (o *Obj) Has(k string) bool { return o.index(k) >= 0 }

// Set replaces the value of k in place, or appends k.
func (o *Obj) Set(k string, v *Value) {
	if i := o.index(k); i >= 0 {
		o.Vals[i] = v
		return
	}
	o.Keys = append(o.Keys, k)
	o.Vals = append(o.Vals, v)
}

// Rename gives key old the name new, in its place; nothing if old is absent.
func (o *Obj) Rename(old, new string) {
	if i := o.index(old); i >= 0 {
		o.Keys[i] = new
	}
}

// Delete removes key k if present.
func (o *Obj) Delete(k string) {
	if i := o.index(k); i >= 0 {
		o.Keys = append(o.Keys[:i:i], o.Keys[i+1:]...)
		o.Vals = append(o.Vals[:i:i], o.Vals[i+1:]...)
	}
}

// Typed getters: they report ok=false when the key is missing or of another kind.

func (o *Obj) String(k string) (string, bool) {
	v := o.Get(k)
	if v == nil || v.Kind != String {
		return "", false
	}
	return v.Str, true
}

func (o *Obj) Bool(k string) (bool, bool) {
	v := o.Get(k)
	if v == nil || v.Kind != Bool {
		return false, false
	}
	return v.B, true
}

func (o *Obj) Object(k string) *Obj {
	v := o.Get(k)
	if v == nil || v.Kind != Object {
		return nil
	}
	return v.Obj
}

// Int reads v as an integer (Python writes whole floats such as 2.0 too).
func (v *Value) Int() (int64, bool) {
	if v == nil || v.Kind != Number {
		return 0, false
	}
	if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// Float64 reads v as a float; NaN and Infinity included.
func (v *Value) Float64() (float64, bool) {
	if v == nil || v.Kind != Number {
		return 0, false
	}
	switch v.Str {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	return f, err == nil
}

// Clone returns a deep copy of v.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := &Value{Kind: v.Kind, B: v.B, Str: v.Str}
	if v.Elems != nil {
		c.Elems = make([]*Value, len(v.Elems))
		for i, e := range v.Elems {
			c.Elems[i] = e.Clone()
		}
	}
	if v.Obj != nil {
		c.Obj = &Obj{Keys: append([]string(nil), v.Obj.Keys...), Vals: make([]*Value, len(v.Obj.Vals))}
		for i, e := range v.Obj.Vals {
			c.Obj.Vals[i] = e.Clone()
		}
	}
	return c
}
