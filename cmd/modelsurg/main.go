// Command modelsurg does model surgery on Keras .h5 files: it shows a
// model's summary, changes its input shape or replaces its classifier head,
// and writes a file that Keras loads, with the kept weights bit-identical.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/modelsurg/modelsurg/internal/h5model"
)

// heapLimit is the heap size at which garbage is collected. A run's few
// MiB stay below it, so the peak RSS stays within 64 MiB with HDF5's memory
// and the copy buffer; a new head of hundreds of MB is held in any case.
const heapLimit = 32 << 20

func main() {
	// A run lasts milliseconds and allocates a few MiB: collecting garbage
	// only as the heap nears a bound costs less than collecting as it goes.
	// GOGC or GOMEMLIMIT in the environment still take precedence.
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
		fmt.Fprintf(os.Stderr, "modelsurg: error: interrupted (%v); no output written\n", s)
		os.Exit(130)
	}()
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
