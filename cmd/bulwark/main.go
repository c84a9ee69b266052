// Command bulwark is the shared cyber security workspace of a province: one
// binary with subcommands (serve, demo, migrate, user, token, audit).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"bulwark/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
