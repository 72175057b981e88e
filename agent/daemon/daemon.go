package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/metrics"
	"github.com/confwatch/confwatch/agent/systemd"
	"github.com/confwatch/confwatch/agent/watch"
	"github.com/confwatch/confwatch/sdnotify"
)

// ErrReplace wraps the error of an old loop that failed while a configuration
// reload replaced it.
var ErrReplace = errors.New("stopping the old loop")

// Setup is one loaded configuration: what a watch loop runs over.
type Setup struct {
	Engine    *engine.Engine
	Log       *slog.Logger
	Etcd      config.Etcd
	ReadyWhen string // status.ReadyApplied or status.ReadyDestPresent
	Listen    string // address of /metrics and /healthz ("" for none); read from the first Setup only
}

// Options configure Run.
type Options struct {
	Poll    time.Duration      // poll every Poll instead of watching (0: watch)
	Notify  *sdnotify.Notifier // sd_notify; a disabled one sends nothing
	Manager *systemd.Manager   // nil: no look at systemd's job queue; closed when Run returns
	// Reload loads the configuration again on SIGHUP. An error rejects the
	// reload (logged, shown in STATUS=) and the running loop stays.
	Reload func() (*Setup, error)
	// Ack, when set, announces every transaction's results (the drain
	// barrier, package ack). It runs with each loop's etcd client and keeps
	// its own state across configuration reloads.
	Ack Announcer
}

// Announcer publishes what the agent has applied; *ack.Writer is one.
// Applied and Resources must not block.
type Announcer interface {
	Applied(sts []engine.Result)
	Current(dir string, rev int64)
	Resources(names []string)
	Run(ctx context.Context, cli *clientv3.Client)
}

// daemon is one Run.
type daemon struct {
	ctx  context.Context // ends on SIGTERM: finish the running apply and return
	opts Options
	m    *metrics.Metrics // nil without a listen address
	cur  atomic.Pointer[supervisor]
}

// Run runs the agent over s until ctx ends (nil) or a loop fails. Every
// goroutine it starts has ended when it returns.
func Run(ctx context.Context, s *Setup, opts Options) error {
	if opts.Manager != nil {
		defer opts.Manager.Close()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	d := &daemon{ctx: ctx, opts: opts}
	bg, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	if s.Listen != "" {
		d.m = metrics.New(10*time.Second, d.report)
		wg.Go(func() {
			if err := d.m.Serve(bg, s.Listen, s.Log); err != nil {
				s.Log.Error("metrics endpoint stopped", "err", err)
			}
		})
	}
	wg.Go(func() {
		<-bg.Done()
		if ctx.Err() != nil {
			_ = opts.Notify.Send(sdnotify.LineStopping, sdnotify.StatusLine("stopping: finishing any running apply"))
		}
	})
	for {
		next, err := d.runOne(s, hup)
		if err != nil || next == nil {
			return err
		}
		s = next
	}
}

// report is what /metrics and /healthz show: the current loop's record.
func (d *daemon) report() metrics.Report {
	if sv := d.cur.Load(); sv != nil {
		return sv.report()
	}
	return metrics.Report{}
}

// runOne runs a loop over s until the context ends (nil, nil) or a SIGHUP
// brings a configuration that loads (next).
func (d *daemon) runOne(s *Setup, hup <-chan os.Signal) (*Setup, error) {
	sup := newSupervisor(s, d.opts.Notify, d.m, d.cur.Load())
	d.cur.Store(sup)
	cl, err := etcd.Connect(d.ctx, s.Etcd, sup.waiting)
	if err != nil || cl == nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	// The queue watch outlives SIGTERM: it matters most while a stop waits.
	qctx, qcancel := context.WithCancel(context.WithoutCancel(d.ctx))
	abandon := make(chan struct{})
	var qwg sync.WaitGroup
	qwg.Go(func() { d.watchQueue(qctx, sup, sync.OnceFunc(func() { close(abandon) })) })
	defer qwg.Wait()
	defer qcancel()
	hooks := sup.hooks()
	if d.opts.Ack != nil {
		stop := d.announce(s, cl, &hooks)
		defer stop()
	}
	loop := watch.New(watch.Options{Client: cl, Engine: s.Engine, Log: s.Log, Poll: d.opts.Poll,
		RequestTimeout: s.Etcd.RequestTimeout.Duration, Hooks: hooks,
		TickEvery: d.opts.Notify.WatchdogInterval() / 2, Abandon: abandon})
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	for {
		select {
		case err := <-done:
			return nil, err
		case <-hup:
			if next, ok := d.reload(s, sup); ok {
				cancel()
				if err := <-done; err != nil {
					return nil, fmt.Errorf("%w: %w", ErrReplace, err)
				}
				s.Log.Info("configuration reloaded", "resources", len(next.Engine.Resources()))
				return next, nil
			}
		}
	}
}

// announce runs the Announcer with cl and feeds it the results the hooks
// see; stop ends it (after a last bounded write of what the loop's final
// applies changed) and waits for it.
func (d *daemon) announce(s *Setup, cl *clientv3.Client, h *watch.Hooks) (stop func()) {
	a := d.opts.Ack
	var names []string
	for _, r := range s.Engine.Resources() {
		names = append(names, r.Name)
	}
	a.Resources(names)
	base := h.Applied
	h.Applied = func(g string, sts []engine.Result, took time.Duration) {
		base(g, sts, took)
		a.Applied(sts)
	}
	h.Current = a.Current
	ctx, cancel := context.WithCancel(context.WithoutCancel(d.ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(ctx, cl) })
	return func() { cancel(); wg.Wait() }
}

// reload loads the configuration again; a rejected one is logged and shown.
func (d *daemon) reload(s *Setup, sup *supervisor) (*Setup, bool) {
	_ = d.opts.Notify.Reloading()
	next, err := d.opts.Reload()
	if err != nil {
		s.Log.Error("configuration reload rejected: the running configuration stays", "err", err)
		sup.rejected(err)
		return nil, false
	}
	return next, true
}
