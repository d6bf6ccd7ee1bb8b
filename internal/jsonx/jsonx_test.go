package jsonx

import (
	"bytes"
	"testing"
)

// Python's json.dumps output (default separators, ensure_ascii=True), written
// by hand in the form Keras stores configs: round-trips must keep every byte.
var pythonDumps = []string{
	`{"class_name": "Functional", "config": {"name": "m", "trainable": true, "layers": [], "x": null}}`,
	`{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e-05, "e": -0.0, "f": 1.001e-05, "g": 12345678901234567890}`,
	`["caf\u00e9", "\ud83d\ude00", "tab\tnl\nq\"bs\\", "\u0001", "\u007f"]`,
	`{"nested": [[["in", 0, 0, {}]], [["shared", 1, 0, {"training": false}]]]}`,
	`[]`, `{}`, `"x"`, `0`, `false`,
}

func TestRoundTripPythonDumps(t *testing.T) {
	for _, in := range pythonDumps {
		v, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%s): %v", in, err)
		}
		if out := Marshal(v); !bytes.Equal(out, []byte(in)) {
			t.Errorf("round trip changed\n in: %s\nout: %s", in, out)
		}
	}
}

func TestCompactInputIsRewrittenInPythonStyle(t *testing.T) {
	v, err := Parse([]byte(`{"a":[1,2],"b":{"c":"é"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a": [1, 2], "b": {"c": "\u00e9"}}`
	if got := string(Marshal(v)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,]`, `{"a" 1}`, `"abc`, `01x`, `{"a":1}}`, `nan`, `-`, `1.`, `"\x"`, "\"\x01\"", `[` + string(bytes.Repeat([]byte("["), 600))} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func TestObjEdits(t *testing.T) {
	v, _ := Parse([]byte(`{"a": 1, "b": 2, "c": 3}`))
	o := v.Obj
	o.Set("b", Str("x"))
	o.Delete("a")
	o.Set("d", Arr(Int(1), NullV()))
	if got := string(Marshal(v)); got != `{"b": "x", "c": 3, "d": [1, null]}` {
		t.Errorf("got %s", got)
	}
	if n, ok := o.Get("c").Int(); !ok || n != 3 {
		t.Errorf("Int = %d, %v", n, ok)
	}
	if n, ok := Float(2).Int(); !ok || n != 2 {
		t.Errorf("Float(2).Int() = %d, %v", n, ok)
	}
	if s := Float(0.5).Str; s != "0.5" {
		t.Errorf("Float(0.5) = %s", s)
	}
	c := v.Clone()
	c.Obj.Set("c", Int(9))
	if n, _ := o.Get("c").Int(); n != 3 {
		t.Error("Clone shares state")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range pythonDumps {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			return
		}
		out := Marshal(v)
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse of %q: %v", out, err)
		}
		if out2 := Marshal(v2); !bytes.Equal(out, out2) {
			t.Fatalf("unstable: %q vs %q", out, out2)
		}
	})
}
