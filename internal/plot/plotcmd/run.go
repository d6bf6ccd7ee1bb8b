package plotcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/modelfile"
	"github.com/modelsurg/modelsurg/internal/summary"
)

// Run executes "modelsurg plot ARGS..." and returns the exit status: 0,
// 1 for what the files cannot give, 2 for a usage error, 3 for a panic.
// Errors are one "modelsurg: error:" line, as the main binary writes them.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "modelsurg: error: internal error: %v (please report this)\n", r)
			code = 3
		}
	}()
	root := &cobra.Command{Use: "modelsurg", SilenceUsage: true, SilenceErrors: true}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	cmd := NewCommand()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	root.AddCommand(cmd)
	root.SetArgs(append([]string{"plot"}, args...))
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "modelsurg: error: %s\n", oneLine(err.Error()))
	var u usageError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown ") {
		return 2
	}
	return 1
}

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// fileErr prefixes an error about a model with the file it came from.
func fileErr(path string, err error) error { return fmt.Errorf("%s: %w", path, err) }

// oneLine caps a message to one line of reasonable length.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	const maxLen = 600
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return s
}

// summarize renders the summary report of the file at path (modelfile.Summary).
func summarize(w io.Writer, path string, opt summary.Options, render func(io.Writer, *summary.Report) error) error {
	r, err := modelfile.Summary(path, opt)
	if err != nil {
		return err
	}
	return render(w, r)
}
