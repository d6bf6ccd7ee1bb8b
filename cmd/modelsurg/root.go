package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// hintError carries a suggestion printed after the error line.
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "modelsurg",
		Short: "Model surgery on Keras .h5 files, without Python",
		Long: `modelsurg reads a Keras .h5 model (Keras 2 / tf-keras or Keras 3), changes it
and writes a new .h5 file in the same dialect that Keras loads, with every kept
weight bit-identical. It never executes anything stored in a file.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newStripCmd(), newSummaryCmd(), newReshapeCmd(), newReplaceHeadCmd())
	root.AddCommand(newPlotCmd())
	root.AddCommand(newExtractCmd(), newRenameCmd(), newFreezeCmd())
	root.AddCommand(newDiffCmd(), newTransferCmd(), newCastCmd())
	root.AddCommand(newCheckCmd(), newConvertCmd())
	root.InitDefaultCompletionCmd()
	usageArgs(root)
	return root
}

// usageArgs makes every positional-argument error of c and its
// subcommands a usage error (exit status 2).
func usageArgs(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "modelsurg: error: internal error: %v (please report this)\n", r)
			code = 3
		}
	}()
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	var err error
	root.InitDefaultHelpCmd()
	if _, _, ferr := root.Find(args); ferr != nil {
		err = usageError{ferr} // an unknown command
	} else {
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return 0
	}
	if s, ok := statusOf(err); ok {
		return s
	}
	fmt.Fprintf(stderr, "modelsurg: error: %s\n", oneLine(err.Error()))
	var h hintError
	if errors.As(err, &h) {
		fmt.Fprintf(stderr, "modelsurg: hint: %s\n", oneLine(h.hint))
	}
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// oneLine caps a message to one line of reasonable length.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	const maxLen = 600
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return s
}
