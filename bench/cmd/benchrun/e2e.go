package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/bench/internal/agentproc"
	"github.com/confwatch/confwatch/bench/internal/filewatch"
	"github.com/confwatch/confwatch/bench/internal/stats"
)

// e2eResult is one agent's run of section 6: put → the first request
// answered by the new backend through a real nginx.
type e2eResult struct {
	agent                    string // "confwatch run", or the peer binary's path
	peer                     bool
	keys, changes            int
	total                    stats.Summary // put start → first answer from the new backend
	toFile                   stats.Summary // put start → dest holds the change (inotify)
	fileToReload             stats.Summary // dest holds it → reload_cmd done (check runs before the file for confwatch, after it for confd)
	reloadToFirst            stats.Summary // reload_cmd done → first answer
	recv, render, check      stats.Summary // confwatch only, from its debug log
	swap, reload             stats.Summary
	split                    bool // the confwatch-only figures were read
	starts, files, reloadsAt []time.Time
}

// e2eTemplate is a whole nginx.conf: one exact location per backend key,
// proxying to the key's value, so a request for /b/<key> is answered by that
// backend as soon as nginx runs a configuration that has it (and 404 before).
func e2eTemplate(port int, dir string) string {
	return strings.NewReplacer("PORT", strconv.Itoa(port), "DIR", dir).Replace(`worker_processes 1;
pid DIR/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:PORT;
{{- range gets "/services/apache/*"}}
        location = /b/{{base .Key}} { proxy_pass http://{{.Value}}; }
{{- end}}
        location / { return 404; }
    }
}
`)
}

// e2eSection runs section 6 at n backends for confwatch and, when -peer is
// given, for the peer.
func (h *harness) e2eSection(ctx context.Context, n int) error {
	nginx := findNginx()
	if nginx == "" {
		h.rep.notes = append(h.rep.notes, "nginx not installed: section 6 skipped")
		return nil
	}
	agents := []string{""}
	if h.o.peer != "" {
		agents = append(agents, h.o.peer)
	}
	for _, peer := range agents {
		r, err := h.e2eRun(ctx, nginx, n, peer)
		if err != nil {
			return err
		}
		h.rep.e2e = append(h.rep.e2e, r)
	}
	return nil
}

// e2eRun starts nginx on a bootstrap configuration, then the agent (peer ""
// is confwatch run; else the peer with confd's command line), and makes
// h.o.e2eChanges puts of a new backend key, each followed by requests for it
// through nginx until the new backend answers.
func (h *harness) e2eRun(ctx context.Context, nginx string, n int, peer string) (*e2eResult, error) {
	name, label := "confwatch", "confwatch run"
	if peer != "" {
		name, label = "peer", peer+" -watch (peer)"
	}
	r := &e2eResult{agent: label, peer: peer != "", keys: n, changes: h.o.e2eChanges}
	backend, stopBackend, err := newBackend()
	if err != nil {
		return nil, err
	}
	defer stopBackend()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	h.runs++
	rdir := filepath.Join(h.work, fmt.Sprintf("run%02d-e2e-%s-%d", h.runs, name, n))
	res := agentproc.Resource{Template: e2eTemplate(port, rdir), DestName: "nginx.conf", Keys: []string{dir},
		CheckCmd:  nginx + " -t -q -c {{.src}} -e stderr -p DIR",
		ReloadCmd: nginx + " -s reload -c DEST -e stderr -p DIR"}
	if peer == "" {
		res.ExtraTOML = guards + noBudget
	}
	c, err := agentproc.Write(rdir, res)
	if err != nil {
		return nil, err
	}
	ng, err := startNginx(ctx, nginx, c, port)
	if err != nil {
		return nil, err
	}
	defer ng.stop()
	fw, err := filewatch.New(c.Dest)
	if err != nil {
		return nil, err
	}
	defer fw.Close()
	var a *agentproc.Agent
	if peer == "" {
		a, err = agentproc.Start(h.bin, c, h.etcd.Endpoint, h.o.agentEnv...)
	} else {
		a, err = agentproc.StartPeer(peer, c, h.etcd.Endpoint)
	}
	if err != nil {
		return nil, err
	}
	defer a.Stop()
	if _, err := fw.Wait(ctx, 5*time.Minute, true, func(b []byte) bool { return strings.Contains(string(b), "/b/") || n == 0 }); err != nil {
		return nil, h.agentErr(c, err)
	}
	rw, err := filewatch.New(c.Reloads)
	if err != nil {
		return nil, err
	}
	defer rw.Close()
	if _, err := rw.Wait(ctx, time.Minute, true, hasLines(1)); err != nil { // the first render's reload
		return nil, h.agentErr(c, fmt.Errorf("first reload: %w", err))
	}
	time.Sleep(300 * time.Millisecond) // let the first reload's workers start
	if err := h.e2eLoop(ctx, r, c, fw, rw, port, backend); err != nil {
		return nil, h.agentErr(c, err)
	}
	if err := a.Stop(); err != nil {
		return nil, err
	}
	if peer == "" {
		if err := e2eFromLog(r, c); err != nil {
			return nil, err
		}
	}
	h.logf("e2e %s at %d backends: put → first answer p50 %s p95 %s", name, n, r.total.P50, r.total.P95)
	return r, h.e2eCleanup(ctx)
}

// e2eLoop makes the measured changes.
func (h *harness) e2eLoop(ctx context.Context, r *e2eResult, c *agentproc.Confdir, fw, rw *filewatch.Watcher, port int, backend string) error {
	rl, err := c.ReloadTimes()
	if err != nil {
		return err
	}
	reloads := len(rl)
	var total, toFile, fileToReload, toFirst []time.Duration
	for i := range r.changes {
		h.e2eKeys++
		key := fmt.Sprintf("e2e-%d", h.e2eKeys)
		url := fmt.Sprintf("http://127.0.0.1:%d/b/%s", port, key)
		fw.Drain()
		rw.Drain()
		t0 := time.Now()
		if _, err := h.cli.Put(ctx, dir+"/"+key, backend); err != nil {
			return err
		}
		tFirst, err := firstAnswer(ctx, url, 30*time.Second)
		if err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
		tFile, err := fw.Wait(ctx, 10*time.Second, false, func(b []byte) bool { return strings.Contains(string(b), "/b/"+key+" ") })
		if err != nil {
			return fmt.Errorf("change %d: file: %w", i, err)
		}
		reloads++
		if _, err := rw.Wait(ctx, time.Minute, true, hasLines(reloads)); err != nil {
			return fmt.Errorf("change %d: reload: %w", i, err)
		}
		times, err := c.ReloadTimes()
		if err != nil {
			return err
		}
		tReload := times[len(times)-1]
		total, toFile = append(total, tFirst.Sub(t0)), append(toFile, tFile.Sub(t0))
		fileToReload, toFirst = append(fileToReload, tReload.Sub(tFile)), append(toFirst, tFirst.Sub(tReload))
		r.starts, r.files, r.reloadsAt = append(r.starts, t0), append(r.files, tFile), append(r.reloadsAt, tReload)
	}
	r.total, r.toFile = stats.Summarize(total), stats.Summarize(toFile)
	r.fileToReload, r.reloadToFirst = stats.Summarize(fileToReload), stats.Summarize(toFirst)
	return nil
}

// e2eCleanup deletes the section's backend keys (the agent is stopped).
func (h *harness) e2eCleanup(ctx context.Context) error {
	_, err := h.cli.Delete(ctx, dir+"/e2e-", clientv3.WithPrefix())
	return err
}

// e2eFromLog splits confwatch's changes by stage from its debug log: the
// k-th "change" line is the k-th change; "rendered", "applied" and
// "transaction done" have one more line, for the first render.
func e2eFromLog(r *e2eResult, c *agentproc.Confdir) error {
	recs, err := agentproc.ReadLog(c.Log)
	if err != nil {
		return err
	}
	var changes []time.Time
	var renders, checks, reloads, tooks []time.Duration
	for _, x := range recs {
		switch x.Msg {
		case "change":
			changes = append(changes, x.Time)
		case "rendered":
			renders = append(renders, nanos(x.Attrs["took"]))
		case "applied":
			checks, reloads = append(checks, nanos(x.Attrs["check"])), append(reloads, nanos(x.Attrs["reload"]))
		case "transaction done":
			tooks = append(tooks, nanos(x.Attrs["took"]))
		}
	}
	k := r.changes
	if len(changes) != k || len(renders) != k+1 || len(checks) != k+1 || len(tooks) != k+1 {
		return nil // coalesced or retried: no per-change split
	}
	var recv, swap []time.Duration
	for i := range k {
		recv = append(recv, changes[i].Sub(r.starts[i]))
		swap = append(swap, tooks[i+1]-checks[i+1]-reloads[i+1])
	}
	r.recv, r.render, r.check = stats.Summarize(recv), stats.Summarize(renders[1:]), stats.Summarize(checks[1:])
	r.swap, r.reload, r.split = stats.Summarize(swap), stats.Summarize(reloads[1:]), true
	return nil
}
