package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/watch"
)

// agent is `confwatch run`: one watch loop at a time, replaced on SIGHUP by a
// loop over freshly loaded configuration when that loads cleanly.
type agent struct {
	c    *cli.Context
	poll time.Duration
}


func (a *agent) run(s *setup) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		cl, err := s.connectLazy()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(a.c.Context)
		loop := watch.New(watch.Options{Client: cl, Engine: s.eng, Log: s.log, Poll: a.poll,
			RequestTimeout: s.cfg.Etcd.RequestTimeout.Duration, Hooks: logHooks(s)})
		done := make(chan error, 1)
		go func() { done <- loop.Run(ctx) }()
		var next *setup
		for next == nil {
			select {
			case err := <-done:
				cancel()
				_ = cl.Close()
				return err
			case <-hup:
				n, err := prepare(a.c, false, systemdReloaders)
				if err != nil {
					s.log.Error("reload rejected: keeping the running configuration", "err", err)
					continue
				}
				next = n
			}
		}
		cancel()
		if err := <-done; err != nil {
			_ = cl.Close()
			return cli.Exit(err, exitFailed)
		}
		_ = cl.Close()
		s.log.Info("configuration reloaded", "resources", len(next.eng.Resources()))
		s = next
	}
}
