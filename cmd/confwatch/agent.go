package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/metrics"
	"github.com/confwatch/confwatch/agent/systemd"
	"github.com/confwatch/confwatch/agent/watch"
	"github.com/confwatch/confwatch/sdnotify"
)

// agent is `confwatch run`: one watch loop at a time, replaced on SIGHUP by a
// loop over freshly loaded configuration when that loads cleanly.
type agent struct {
	c      *cli.Context
	poll   time.Duration
	notify *sdnotify.Notifier
	mgr    *systemd.Manager
	m      *metrics.Metrics // nil without --listen
}

func (a *agent) run(s *setup) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	defer a.mgr.Close()
	if s.cfg.Listen != "" {
		a.m = metrics.New(10 * time.Second)
		go func() {
			if err := a.m.Serve(a.c.Context, s.cfg.Listen, s.log); err != nil {
				s.log.Error("metrics endpoint stopped", "err", err)
			}
		}()
	}
	go func() {
		<-a.c.Context.Done()
		_ = a.notify.Send(sdnotify.LineStopping, sdnotify.StatusLine("stopping: finishing any running apply"))
	}()
	for {
		next, err := a.runOne(s, hup)
		if err != nil || next == nil {
			return err
		}
		s = next
	}
}

// runOne runs a loop over s until the context ends (nil, nil) or a SIGHUP
// brings a configuration that loads (next).
func (a *agent) runOne(s *setup, hup <-chan os.Signal) (*setup, error) {
	sup := newSupervisor(s, a.notify, a.m)
	cl, err := s.connectLazy(a.c.Context, sup.waiting)
	if err != nil || cl == nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(a.c.Context)
	defer cancel()
	// The queue watch outlives SIGTERM: it matters most while a stop waits.
	qctx, qcancel := context.WithCancel(context.WithoutCancel(a.c.Context))
	abandon := make(chan struct{})
	var qwg sync.WaitGroup
	qwg.Go(func() { a.watchQueue(qctx, sup, sync.OnceFunc(func() { close(abandon) })) })
	defer qwg.Wait()
	defer qcancel()
	loop := watch.New(watch.Options{Client: cl, Engine: s.eng, Log: s.log, Poll: a.poll,
		RequestTimeout: s.cfg.Etcd.RequestTimeout.Duration, Hooks: sup.hooks(),
		TickEvery: a.notify.WatchdogInterval() / 2, Abandon: abandon})
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	for {
		select {
		case err := <-done:
			return nil, err
		case <-hup:
			_ = a.notify.Reloading()
			next, err := prepare(a.c, false, reloadersWith(a.mgr))
			if err != nil {
				s.log.Error("configuration reload rejected: the running configuration stays", "err", err)
				sup.rejected(err)
				continue
			}
			cancel()
			if err := <-done; err != nil {
				return nil, cli.Exit(fmt.Errorf("stopping the old loop: %w", err), exitFailed)
			}
			s.log.Info("configuration reloaded", "resources", len(next.eng.Resources()))
			next.reloaded = true
			return next, nil
		}
	}
}
