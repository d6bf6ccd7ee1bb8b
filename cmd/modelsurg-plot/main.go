// Command modelsurg-plot is "modelsurg plot": it draws a model's layer
// graph. It is a binary of its own because the Graphviz it embeds (a
// WebAssembly build compiled at start-up) would cost every other modelsurg
// command time and memory; modelsurg runs it for "modelsurg plot", as git
// runs its external subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/modelsurg/modelsurg/internal/h5model"
	"github.com/modelsurg/modelsurg/internal/plot"
	"github.com/modelsurg/modelsurg/internal/plot/plotcmd"
)

// heapLimit is the heap size at which garbage is collected, as in modelsurg.
const heapLimit = 32 << 20

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(heapLimit)
	}
	// An interrupt stops the command at once: the output never appears and
	// the temporary file being written is removed.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		h5model.RemoveTemps()
		plot.RemoveTemps()
		fmt.Fprintf(os.Stderr, "modelsurg: error: interrupted (%v); no output written\n", s)
		os.Exit(130)
	}()
	os.Exit(plotcmd.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
