// Command confwatch keeps configuration files in step with etcd v3: a
// systemd-native, confd-compatible agent, a registration sidekick and a unit
// generator. See `confwatch --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
