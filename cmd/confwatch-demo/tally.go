package main

import (
	"fmt"
	"slices"
	"strings"
)

// verdict ends the run. With --ci it prints what was seen and fails unless a
// backend left the upstream and came back and, with nginx, every backend
// answered through it.
func (d *demo) verdict() int {
	if !d.o.ci {
		return exitOK
	}
	ok := len(d.tally.back) > 0
	msg := "no backend was seen to leave the upstream and come back"
	if ok {
		msg = fmt.Sprintf("%s left the upstream and came back", strings.Join(d.tally.back, ", "))
	}
	if d.nginx != nil {
		ok = ok && len(d.tally.ports) == len(d.backends)
		msg += fmt.Sprintf("; %d of %d backends answered through nginx", len(d.tally.ports), len(d.backends))
	}
	if ok {
		d.out.text("", "ok: "+msg)
		return exitOK
	}
	d.out.text("", "FAIL: "+msg)
	return exitFailed
}

// tally is what the demo saw, for the --ci verdict.
type tally struct {
	last  []string        // servers of the latest upstream
	left  map[string]bool // servers seen leaving the upstream
	back  []string        // servers seen leaving, then coming back
	ports []string        // backend ports that answered through nginx
}

// saw records a rendered upstream.
func (t *tally) saw(servers []string) {
	if t.left == nil {
		t.left = map[string]bool{}
	}
	for _, s := range t.last {
		if !slices.Contains(servers, s) {
			t.left[s] = true
		}
	}
	for _, s := range servers {
		if t.left[s] && !slices.Contains(t.back, s) {
			t.back = append(t.back, s)
		}
	}
	t.last = servers
}

// answered records a backend port that answered through nginx.
func (t *tally) answered(port string) {
	if !slices.Contains(t.ports, port) {
		t.ports = append(t.ports, port)
	}
}
