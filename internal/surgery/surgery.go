// Package surgery changes models: a new input shape (ReshapeInput), a new
// classifier head (ReplaceHead). Each function returns a new model and
// never modifies its argument; weights it keeps stay references into the
// source file, and weights it creates or changes carry their data.
package surgery
