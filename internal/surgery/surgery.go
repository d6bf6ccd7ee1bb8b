// Package surgery changes models: a new input shape (ReshapeInput), a new
// classifier head (ReplaceHead). Each function returns a new model and
// never modifies its argument; weights it keeps stay references into the
// source file, and weights it creates or changes carry their data.
package surgery

import "errors"

// HintOf returns the suggestion a surgery error carries, or "".
func HintOf(err error) string {
	var he *Error
	if errors.As(err, &he) {
		return he.Hint
	}
	var re *ReshapeError
	if errors.As(err, &re) {
		return re.Hint
	}
	return ""
}
