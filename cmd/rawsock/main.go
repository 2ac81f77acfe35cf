// Command rawsock opens any kind of socket, crafts and sends packets,
// captures and decodes traffic, and runs the probes a network lab needs,
// in one static binary.
//
// Run "rawsock help" for the list of commands and "rawsock COMMAND --help"
// for the flags of one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
