package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// demo is one run: everything it started, so that close can stop it all.
type demo struct {
	o   options
	out *printer
	dir string // the temporary directory holding every file

	logf     *os.File // agent.log: what the agent and sidekicks log
	etcd     *embed.Etcd
	cli      *clientv3.Client
	backends []*backend
	agent    *agent
	nginx    *nginx // nil without nginx
	dest     string // the rendered file
	keys     clientv3.WatchChan
	tally    tally
}

// start brings everything up, printing each step, in the order of a real
// host: etcd, the backends and their sidekicks, the agent's first render,
// nginx on it, then the agent watching.
func (d *demo) start(ctx context.Context) error {
	var err error
	if d.dir, err = os.MkdirTemp("", "confwatch-demo-"); err != nil {
		return err
	}
	bin := findNginx(d.o.nginx)
	if bin != "" {
		if d.nginx, err = newNginx(bin, d.dir, d.o.port); err != nil {
			return err
		}
	}
	d.intro()
	if d.logf, err = os.Create(filepath.Join(d.dir, "agent.log")); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(d.logf, nil))
	e, endpoint, err := startEtcd(ctx, filepath.Join(d.dir, "etcd"))
	if err != nil {
		return err
	}
	d.etcd = e
	if d.cli, err = clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}); err != nil {
		return err
	}
	d.out.line("etcd", "embedded single member at %s", endpoint)
	if err := d.startBackends(ctx, log); err != nil {
		return err
	}
	if err := d.startAgent(ctx, log); err != nil {
		return err
	}
	d.keys = d.cli.Watch(ctx, servicePrefix, clientv3.WithPrefix())
	return nil
}

// intro is the first screen: what runs, and what to try.
func (d *demo) intro() {
	d.out.clear()
	d.out.text(d.out.paint(bold, "confwatch demo: etcd, three backends, their sidekicks and the agent, all in this process."),
		"Each backend registers itself in etcd (`confwatch register`); the agent (`confwatch run`) renders",
		fmt.Sprintf("their addresses into an nginx upstream. Every %s a backend stops or starts. Ctrl-C stops everything.", d.o.interval), "")
	file := "upstream.conf"
	if d.nginx != nil {
		file = "nginx/nginx.conf"
		d.out.text("  try:   curl " + d.nginx.url() + "        (each answer names its backend)")
	}
	d.dest = filepath.Join(d.dir, file)
	d.out.text("         watch -n 0.5 cat "+d.dest, "  files: "+d.dir+" (agent.log: the agent's own log)", "")
	if d.nginx == nil {
		why := "nginx is not installed"
		if d.o.nginx == "off" {
			why = "nginx is off (--nginx off)"
		}
		d.out.text("  "+why+", so only the upstream file is rendered. To see requests move too:",
			"         sudo apt-get install nginx-light   (Fedora: sudo dnf install nginx; macOS: brew install nginx)", "")
	}
}

// startBackends starts three backends and waits until all are registered.
func (d *demo) startBackends(ctx context.Context, log *slog.Logger) error {
	for range 3 {
		b, err := newBackend(log)
		if err != nil {
			return err
		}
		d.backends = append(d.backends, b)
		if err := b.start(ctx, d.cli); err != nil {
			return err
		}
	}
	for deadline := time.Now().Add(15 * time.Second); ; {
		r, err := d.cli.Get(ctx, servicePrefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err == nil && r.Count == int64(len(d.backends)) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(errors.New("backends not registered after 15s"), err, ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var addrs []string
	for _, b := range d.backends {
		addrs = append(addrs, b.addr)
	}
	d.out.line("backends", "%s registered (lease TTL %s, HTTP check every %s)", strings.Join(addrs, " "), sidekickTTL, checkInterval)
	return nil
}

// startAgent writes the agent's configuration, renders once, starts nginx
// on the result and starts the watch loop.
func (d *demo) startAgent(ctx context.Context, log *slog.Logger) error {
	confdir := filepath.Join(d.dir, "confd")
	tmpl, check, reload := upstreamTemplate, "", ""
	if d.nginx != nil {
		tmpl, check, reload = d.nginx.template(), d.nginx.checkCmd(), d.nginx.reloadCmd()
	}
	if err := writeConfdir(confdir, tmpl, d.dest, check, reload); err != nil {
		return err
	}
	var err error
	if d.agent, err = loadAgent(confdir, log.With("component", "agent")); err != nil {
		return err
	}
	if err := d.agent.firstRender(ctx, d.cli); err != nil {
		return err
	}
	servers, err := upstream(d.dest)
	if err != nil {
		return err
	}
	d.tally.saw(servers)
	d.out.line("render", "%s: upstream %s", filepath.Base(d.dest), strings.Join(servers, " "))
	if d.nginx != nil {
		if err := d.nginx.start(d.dest); err != nil {
			return err
		}
		d.out.line("nginx", "started on %s (pid %d)", d.nginx.url(), d.nginx.cmd.Process.Pid)
		d.showSample()
	}
	if err := d.agent.start(ctx, d.cli); err != nil {
		return err
	}
	d.out.line("agent", "watching %s* in etcd", servicePrefix)
	return nil
}

// close stops everything in the reverse order of start and removes the
// temporary directory (unless --keep). It is safe after a partial start.
func (d *demo) close() error {
	errs := []error{d.agent.stop()}
	if d.nginx != nil {
		errs = append(errs, d.nginx.stop())
	}
	for _, b := range d.backends {
		errs = append(errs, b.stop())
	}
	if d.cli != nil {
		if err := d.cli.Close(); !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	if d.etcd != nil {
		d.etcd.Close()
	}
	if d.logf != nil {
		errs = append(errs, d.logf.Close())
	}
	switch {
	case d.dir == "":
	case d.o.keep:
		d.out.text("stopped everything; kept " + d.dir)
	default:
		if err := os.RemoveAll(d.dir); err != nil {
			errs = append(errs, err)
		} else {
			d.out.text("stopped everything; removed " + d.dir)
		}
	}
	return errors.Join(errs...)
}
