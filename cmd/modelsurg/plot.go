package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/modelsurg/modelsurg/internal/plot/plothelp"
)

// plotHelper is the executable that does "modelsurg plot": its Graphviz
// would cost every other command its start-up time and memory.
const plotHelper = "modelsurg-plot"

// findPlotHelper returns the path of modelsurg-plot: the one next to this
// executable, else the one on PATH. Tests replace it.
var findPlotHelper = func() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), plotHelper)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return exec.LookPath(plotHelper)
}

// execPlot replaces this process with the helper (it returns only on
// failure): arguments, standard streams, signals and exit status are then
// the helper's own. Tests replace it.
var execPlot = func(path string, args []string) error {
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}

// errNoPlotHelper is the error when modelsurg-plot cannot be found.
var errNoPlotHelper = errors.New("plot needs modelsurg-plot next to modelsurg (make build builds both)")

// newPlotCmd is the plot command: it runs modelsurg-plot with its
// arguments unparsed (--help included), as git runs external subcommands.
func newPlotCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                plothelp.Use,
		Short:              plothelp.Short,
		Long:               plothelp.Long,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlotHelper(args)
		},
	}
	// "modelsurg help plot" shows the helper's help too (without the
	// helper, the text above).
	own := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		if runPlotHelper([]string{"--help"}) != nil {
			own(c, args)
		}
	})
	return cmd
}

// runPlotHelper runs modelsurg-plot with args; it returns only on failure.
func runPlotHelper(args []string) error {
	path, err := findPlotHelper()
	if err != nil {
		return errNoPlotHelper
	}
	if err := execPlot(path, args); err != nil {
		return fileErr(path, err)
	}
	return nil
}
