// Package surgery changes models: a new input shape (ReshapeInput), a new
// classifier head (ReplaceHead). Each function returns a new model and
// never modifies its argument; weights it keeps stay references into the
// source file, and weights it creates or changes carry their data.
package surgery

import (
	"errors"
	"fmt"
	"regexp"
)

// Error is a surgery the model or the spec does not allow: the one error
// type of this package. Msg and Hint name spec fields as {Field} (e.g.
// "use {Pooling} none"); the caller names them as its user knows them
// (Text), since the package does not know about flags.
type Error struct {
	// Layer is the layer at fault, or "".
	Layer string
	// Field is the spec field at fault (e.g. "CutAt"), or "".
	Field string
	// Msg says what is wrong; if "", Err's text does.
	Msg string
	// Hint suggests what to do instead, or is "".
	Hint string
	// Usage marks a spec that is wrong whatever the model (a bad value).
	Usage bool
	// Err is the cause (e.g. a *model.ShapeError naming the layer), or nil.
	Err error
}

// Error names fields as {Field}, as Msg and Hint do.
func (e *Error) Error() string { return e.Text(func(f string) string { return "{" + f + "}" }) }
func (e *Error) Unwrap() error { return e.Err }

var fieldRef = regexp.MustCompile(`\{([A-Z][A-Za-z]*)\}`)

// Text is the message with each {Field} named by name(Field).
func (e *Error) Text(name func(field string) string) string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	msg = fill(msg, name)
	switch {
	case e.Layer != "" && e.Msg != "":
		return fmt.Sprintf("layer %q: %s", e.Layer, msg)
	case e.Field != "":
		return name(e.Field) + ": " + msg
	}
	return msg
}

// HintText is Hint with each {Field} named by name(Field).
func (e *Error) HintText(name func(field string) string) string { return fill(e.Hint, name) }

// FillFields names each {Field} of a warning or message by name(Field).
func FillFields(s string, name func(string) string) string { return fill(s, name) }

func fill(s string, name func(string) string) string {
	return fieldRef.ReplaceAllStringFunc(s, func(m string) string { return name(m[1 : len(m)-1]) })
}

// refuse wraps err (a shape or weight conflict) with a hint.
func refuse(err error, hint string) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Err: err, Hint: hint}
}

// asError makes *err, if set, an *Error: every error a surgery returns is one.
func asError(err *error) {
	var e *Error
	if *err != nil && !errors.As(*err, &e) {
		*err = &Error{Err: *err}
	}
}
