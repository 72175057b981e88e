package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/engine"
)

// settle is how long after a reload the demo waits before sampling nginx:
// `nginx -s reload` only signals the master, which then starts new workers.
const settle = 300 * time.Millisecond

// loop runs the schedule until ctx ends or --duration passed: every
// --interval the next backend in turn stops or starts, and what follows is
// printed as it arrives. It returns the exit code.
func (d *demo) loop(ctx context.Context) int {
	tick := time.NewTicker(d.o.interval)
	defer tick.Stop()
	var end, settled <-chan time.Time
	var deadline time.Time
	if d.o.duration > 0 {
		end, deadline = time.After(d.o.duration), time.Now().Add(d.o.duration)
	}
	for step := 0; ; {
		select {
		case <-ctx.Done():
			d.out.text("", "interrupted: stopping the agent, nginx, the backends (revoking their keys) and etcd")
			return d.verdict()
		case <-end:
			return d.verdict()
		case <-tick.C:
			if !deadline.IsZero() && time.Until(deadline) < d.o.interval/4 {
				continue // too late to show what follows
			}
			d.step(ctx, step)
			step++
		case wr, ok := <-d.keys:
			if !ok {
				d.keys = nil
				continue
			}
			d.showKeys(wr)
		case a := <-d.agent.applied:
			if d.showApplied(a) && d.nginx != nil {
				settled = time.After(settle)
			}
		case <-settled:
			d.showSample()
		case <-d.nginxExited():
			d.out.line("nginx", "exited unexpectedly (%v): %s", d.nginx.err, d.nginx.output())
			return exitFailed
		}
	}
}

// step stops or starts a backend: backend 1 stops, then returns, then
// backend 2, and so on around.
func (d *demo) step(ctx context.Context, i int) {
	b := d.backends[(i/2)%len(d.backends)]
	if b.up() {
		d.out.event(red, "stop backend %s: its sidekick revokes its lease, then the server stops", b.addr)
		if err := b.stop(); err != nil {
			d.out.line("error", "%v", err)
		}
		return
	}
	d.out.event(green, "start backend %s: the server starts, then its sidekick checks and registers it", b.addr)
	if err := b.start(ctx, d.cli); err != nil {
		d.out.line("error", "%v", err)
	}
}

// showKeys prints the key changes etcd reports.
func (d *demo) showKeys(wr clientv3.WatchResponse) {
	for _, ev := range wr.Events {
		if ev.Type == mvccpb.DELETE {
			d.out.line("etcd", "%s %s  (revision %d)", d.out.paint(red, "delete"), ev.Kv.Key, ev.Kv.ModRevision)
			continue
		}
		d.out.line("etcd", "%s %s = %s  (lease %x, revision %d)", d.out.paint(green, "put"), ev.Kv.Key, ev.Kv.Value, ev.Kv.Lease, ev.Kv.ModRevision)
	}
}

// showApplied prints one agent transaction: the new upstream, the check and
// the reload. It reports whether nginx was reloaded.
func (d *demo) showApplied(a applied) bool {
	st := a.st
	switch st.Outcome {
	case engine.OutcomeUnchanged:
		return false
	case engine.OutcomeRefused:
		d.out.line("guard", "refused; the last good file stays: %v", st.Err)
		return false
	}
	servers, err := upstream(d.dest)
	if err != nil {
		d.out.line("error", "%v", err)
		return false
	}
	if st.Outcome == engine.OutcomeApplied {
		d.tally.saw(servers)
	}
	d.out.line("render", "%s: upstream %s  (revision %d, applied in %s)", filepath.Base(st.Dest), strings.Join(servers, " "), st.Revision, ms(a.took))
	if d.nginx != nil {
		d.out.line("check", "%-16s %8s  %s", "nginx -t", ms(st.Check), outcome(st, "check"))
		if st.Reloaded || st.Stage == "reload" {
			d.out.line("reload", "%-16s %8s  %s", "nginx -s reload", ms(st.Reload), outcome(st, "reload"))
		}
	}
	if st.Outcome == engine.OutcomeFailed && st.Stage == "" {
		d.out.line("failed", "%v", st.Err)
	}
	return st.Reloaded
}

// outcome says how stage went: ok, or the error (and the rollback).
func outcome(st engine.Result, stage string) string {
	if st.Stage != stage || st.Err == nil {
		return "ok"
	}
	s := "failed: " + st.Err.Error()
	if st.RolledBack {
		s += " (rolled back to the last good file)"
	}
	return s
}

// showSample prints who answers six requests through nginx.
func (d *demo) showSample() {
	got := sample(d.nginx.url(), 6)
	for _, p := range got {
		if p != "error" {
			d.tally.answered(p)
		}
	}
	d.out.line("curl", "%d requests answered by %s", len(got), strings.Join(got, " "))
}

// nginxExited is closed when nginx exits; nil (never ready) without nginx.
func (d *demo) nginxExited() <-chan struct{} {
	if d.nginx == nil {
		return nil
	}
	return d.nginx.exited
}

// client makes the demo's sample requests: no proxy, no keep-alive (so
// nginx can quit at once), short timeouts.
var client = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// sample sends count requests to url and returns who answered each: the
// backend's port, or "error".
func sample(url string, count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = "error"
		resp, err := client.Get(url)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		_ = resp.Body.Close()
		if p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "backend "); ok && resp.StatusCode == http.StatusOK {
			out[i] = p
		}
	}
	return out
}
