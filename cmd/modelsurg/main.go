// Command modelsurg does model surgery on Keras .h5 files: it shows a
// model's summary, changes its input shape or replaces its classifier head,
// and writes a file that Keras loads, with the kept weights bit-identical.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelsurg/modelsurg/internal/h5model"
)

func main() {
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
