package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/confwatch/confwatch/register"
)

// drain waits d after a stop has revoked the lease, so that load balancers
// see the key gone, re-render and reload before systemd stops the backend
// (the sidekick is BindsTo= and After= it, so the backend is stopped only
// once register has exited). It sends STATUS= first, and returns at once
// when d is not positive, or as soon as cut is closed.
func drain(d time.Duration, cut <-chan struct{}, n register.Notifier, log *slog.Logger) {
	if d <= 0 {
		return
	}
	status := fmt.Sprintf("deregistered; draining %s before exit", d)
	log.Info(status)
	if err := n.Status(status); err != nil {
		log.Warn("sd_notify", "err", err)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-cut:
		log.Info("drain cut short by a second signal")
	}
}

// secondSignal returns a channel closed when the second SIGTERM or SIGINT
// from now on arrives: main's signal context ends the command's context on
// the first, so the second is the one that cuts a drain short. release stops
// listening (and the goroutine); it must be called once.
func secondSignal() (cut <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	c, done := make(chan struct{}), make(chan struct{})
	go func() {
		for n := 0; n < 2; {
			select {
			case <-sigs:
				n++
			case <-done:
				return
			}
		}
		close(c)
	}()
	return c, func() { signal.Stop(sigs); close(done) }
}
