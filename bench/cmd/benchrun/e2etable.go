package main

import "github.com/confwatch/confwatch/bench/internal/stats"

func pp(s stats.Summary) string { return ms(s.P50) + " / " + ms(s.P95) }

func (r *report) e2eTable(p printer) {
	if len(r.e2e) == 0 {
		return
	}
	p("## 6. Put → first request answered by the new backend, through nginx (ms)\n")
	p("A real nginx (one worker, in the foreground, no box: reloads are `nginx -s reload`) runs the agent's " +
		"whole nginx.conf: one exact `location = /b/<key>` per backend key, proxying to the key's value. Each " +
		"change puts a new key pointing at a live backend; from the start of the put, the harness requests " +
		"`/b/<key>` through nginx (a new connection every 1 ms) until the new backend answers. `check_cmd` is " +
		"`nginx -t -q -c {{.src}}`, `reload_cmd` `nginx -s reload` followed by `date` into a file (the " +
		"\"reload done\" time). Every agent gets the same resource; confwatch's has `min_reload_interval = \"0\"` " +
		"(a single change after quiet is applied at once under the default budget too); a peer (`-peer BINARY`, " +
		"`CONFD=/path make bench`) runs with confd's command line, `-watch -backend etcdv3 -node URL -confdir DIR`, " +
		"on the same confdir without confwatch's keys. The reload hold (`max_draining`) needs `reload_unit`, so " +
		"it is not in play here; section 6b measures the same path with `reload_unit` under a real systemd, and " +
		"`TestReloadHoldUnderSystemd` (e2e, section 7) the hold itself. p50 / p95:\n")
	p("| agent | backends | changes | put → first answer | put → file | file → reload done | reload done → first answer |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.e2e {
		p("| %s | %d | %d | %s | %s | %s | %s |", x.agent, x.keys, x.changes, pp(x.total), pp(x.toFile),
			pp(x.fileToReload), pp(x.reloadToFirst))
	}
	p("\nconfwatch's changes split by stage, from its debug log (p50 / p95): etcd → agent is the put's start to " +
		"the agent's \"change\" line; render, check (nginx -t on the staged file) and reload (nginx -s reload) are " +
		"the agent's own timings; swap is its transaction minus check and reload (stage, fsync, rename, fsync dir, " +
		"state); first request is reload done → first answer from the new backend. confwatch checks before the " +
		"swap, so its file → reload done is the reload alone; confd writes the file, then checks and reloads.\n")
	p("| backends | etcd → agent | render | check | swap | reload | first request | total |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.e2e {
		if x.peer || !x.split {
			continue
		}
		p("| %d | %s | %s | %s | %s | %s | %s | %s |", x.keys, pp(x.recv), pp(x.render), pp(x.check), pp(x.swap),
			pp(x.reload), pp(x.reloadToFirst), pp(x.total))
	}
	p("")
}
