package summary

import (
	"bytes"
	"testing"
)

// TestASCIITableIsTablewriters checks the fast table against tablewriter's
// on tables of every shape the summary makes, and on cells it may not
// render itself (which it must leave to tablewriter).
func TestASCIITableIsTablewriters(t *testing.T) {
	header := []string{"Layer (type)", "Output Shape", "Param #", "Connected to"}
	cases := [][][]string{
		{{"a (Dense)", "(None, 2)", "6", "-"}},
		{{"a_very_long_layer_name (BatchNormalization)", "(None, 224, 224, 3)", "25,636,712", "x[0][0]\ny[0][0]\nz[1][0]"}, {"b", "?", "0", "-"}},
		{{"  nested (Dense)", "[(None, 2), (None, 3)]", "1", "-"}, {"...", "...", "...", "..."}, {"c (Add)", "(None, 1)", "0", "a[0][0]\nb[0][0]"}},
		{{"pipe|name (X)", "(None,)", "0", "a|b[0][0]"}},
		{{"trailing  (X) ", " lead", "0", "-"}},
		// cases from here on are tablewriter's
		{{"ünïcode (Dense)", "(None, 2)", "6", "-"}},
		{{"tab\tname (Dense)", "(None, 2)", "6", "-"}},
		{{"empty", "", "0", "-"}},
		{{"a", "b", "0", "x[0][0]\n"}},
		{},
	}
	for n, rows := range cases {
		for _, h := range [][]string{header, header[:3], append(header[:3:3], "Trainable")} {
			rs := make([][]string, len(rows))
			for i, r := range rows {
				rs[i] = append(r[:len(h)-1:len(h)-1], r[len(r)-1])
			}
			var want, got bytes.Buffer
			if err := renderTable(&want, h, rs, paramCol); err != nil {
				t.Fatal(err)
			}
			done, err := asciiTable(&got, h, rs, paramCol)
			if err != nil {
				t.Fatal(err)
			}
			if done && got.String() != want.String() {
				t.Errorf("rows %q:\n got\n%s want\n%s", rs, got.String(), want.String())
			}
			if !done && n < 5 {
				t.Errorf("rows %q: left to tablewriter", rs)
			}
			if !done && got.Len() > 0 {
				t.Errorf("rows %q: wrote a table and gave up", rs)
			}
		}
	}
}
