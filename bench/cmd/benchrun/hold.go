package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
)

// holdSection runs the e2e test of the reload hold (e2e/hold_test.go:
// Debian's nginx under a real systemd in an sdbox, the shipped unit,
// requests held open across reloads) and keeps the figures it logs on its
// "bench:" lines. It needs root, systemd and nginx; otherwise it is skipped
// with the test's reason.
func (h *harness) holdSection(ctx context.Context) error {
	if os.Geteuid() != 0 {
		h.rep.notes = append(h.rep.notes, "not root: section 7 (the reload hold under systemd) skipped")
		return nil
	}
	h.rep.hold = h.benchTest(ctx, "section 7", "TestReloadHoldUnderSystemd", nil)
	h.logf("reload hold: %d phases measured", len(h.rep.hold))
	return nil
}

// benchTest runs one e2e test (with env added to the environment) and
// returns its "bench:" lines (parseHold); a failure, or a run that logged
// none, goes into the report's notes under section.
func (h *harness) benchTest(ctx context.Context, section, test string, env []string) []map[string]string {
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "-timeout", "60m", "-run", "^"+test+"$", "./e2e")
	cmd.Dir = h.module
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	lines := parseHold(out.Bytes())
	switch {
	case err != nil:
		h.rep.notes = append(h.rep.notes, section+": "+test+" failed: "+lastLines(out.String(), 5))
	case len(lines) == 0:
		h.rep.notes = append(h.rep.notes, section+": "+test+" did not run: "+lastLines(out.String(), 3))
	}
	return lines
}

// parseHold reads the test's "bench: k=v ..." lines, one map per phase.
func parseHold(out []byte) []map[string]string {
	var phases []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		_, rest, ok := strings.Cut(sc.Text(), "bench: ")
		if !ok {
			continue
		}
		m := map[string]string{}
		for _, f := range strings.Fields(rest) {
			if k, v, ok := strings.Cut(f, "="); ok {
				m[k] = v
			}
		}
		phases = append(phases, m)
	}
	return phases
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " / ")
}

func (r *report) holdTable(p printer) {
	if len(r.hold) == 0 {
		return
	}
	p("## 7. The reload hold under a real systemd\n")
	p("`TestReloadHoldUnderSystemd` (e2e/hold_test.go), run by `make bench`: Debian's nginx (one worker) under " +
		"systemd 252 in a throwaway box, the shipped `confwatch.service`, `reload_unit = \"nginx.service\"`, " +
		"`max_draining = 2`, `min_reload_interval = \"250ms\"`. Before each change a request to a backend that " +
		"holds its answer is opened through nginx, so every reload leaves one more generation draining. Draining " +
		"generations are sampled every 50 ms (`pgrep` for \"worker process is shutting down\").\n")
	p("| phase | reloads before the hold | peak draining generations | changes during the hold | held answers released → final state served (ms) |")
	p("|---|---:|---:|---:|---:|")
	for _, m := range r.hold {
		if m["phase"] == "drain" {
			p("| workers drain (max_hold 60 s) | %s | %s (max_draining %s) | %s, merged into one reload | %s |",
				m["reloads_before_hold"], m["peak_draining"], m["max_draining"], m["changes_during_hold"], m["release_to_final_ms"])
		}
	}
	for _, m := range r.hold {
		if m["phase"] == "max_hold" {
			p("\nWith `max_hold = \"3s\"` and the answers still held: the final state was served %s ms after the hold "+
				"showed in STATUS=, with %s generations still draining (the hold gave up, as it must).", m["held_to_final_ms"], m["draining_at_final"])
		}
	}
	p("")
}
