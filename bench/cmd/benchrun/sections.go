package main

import (
	"context"
	"os"
	"os/exec"

	"github.com/confwatch/confwatch/bench/internal/agentproc"
)

// latencySection measures the classic template at n keys.
func (h *harness) latencySection(ctx context.Context, n int) error {
	changes := h.o.changes
	if n >= 100000 {
		changes = h.o.changesLarge
	}
	res := agentproc.Resource{Template: classicTmpl, DestName: "upstream.conf", Keys: []string{dir}, ExtraTOML: guards + noBudget}
	r, err := h.agentRun(ctx, "latency", n, res, changes)
	if err != nil {
		return err
	}
	h.rep.latency = append(h.rep.latency, r)
	return nil
}

// nginxSection measures the full nginx.conf with check_cmd = nginx -t.
func (h *harness) nginxSection(ctx context.Context, n int) error {
	nginx := findNginx()
	if nginx == "" {
		h.rep.notes = append(h.rep.notes, "nginx not installed: section 5 skipped")
		return nil
	}
	res := agentproc.Resource{Template: fullTmpl, DestName: "nginx.conf", Keys: []string{dir},
		CheckCmd: checkCmd(nginx), ExtraTOML: guards + noBudget}
	r, err := h.agentRun(ctx, "nginx", n, res, h.o.nginxChanges)
	if err != nil {
		return err
	}
	h.rep.nginx = append(h.rep.nginx, r)
	return nil
}

func findNginx() string {
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("nginx")
	return p
}
