// Command modelsurg does model surgery on Keras .h5 files: it shows a
// model's summary, changes its input shape or replaces its classifier head,
// and writes a file that Keras loads, with the kept weights bit-identical.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
