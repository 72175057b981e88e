package main

import (
	"context"
	"os"
	"strconv"
	"strings"
)

// firstAnswerSection runs section 6b: the e2e test of put → first answer
// under a real systemd (e2e/firstanswer_test.go: Debian's nginx in an
// sdbox, the shipped unit, reload_unit, default settings) at -e2e-sizes
// with -e2e-changes, and keeps the "bench:" line each size logs. It needs
// root, systemd and nginx; otherwise it is skipped with the test's reason.
func (h *harness) firstAnswerSection(ctx context.Context) error {
	if os.Geteuid() != 0 {
		h.rep.notes = append(h.rep.notes, "not root: section 6b (put → first answer under systemd) skipped")
		return nil
	}
	if len(h.o.e2eSizes) == 0 {
		return nil
	}
	sizes := make([]string, len(h.o.e2eSizes))
	for i, n := range h.o.e2eSizes {
		sizes[i] = strconv.Itoa(n)
	}
	h.rep.firstAnswer = h.benchTest(ctx, "section 6b", "TestFirstAnswerUnderSystemd", []string{
		"CONFWATCH_BENCH_FIRSTANSWER=" + strings.Join(sizes, ","),
		"CONFWATCH_BENCH_FIRSTANSWER_CHANGES=" + strconv.Itoa(h.o.e2eChanges)})
	h.logf("put → first answer under systemd: %d sizes measured", len(h.rep.firstAnswer))
	return nil
}

// firstAnswerAbout says what section 6b runs.
const firstAnswerAbout = "`TestFirstAnswerUnderSystemd` (e2e/firstanswer_test.go), run by `make bench` at section 6's sizes and change count: " +
	"Debian's nginx (`nginx.service`, one worker) under systemd 252 in a throwaway box, the shipped " +
	"`confwatch.service`, section 6's template (one exact `location = /b/<key>` per backend key), " +
	"`check_cmd = \"nginx -t -q -c {{.src}}\"` on the staged file and `reload_unit = \"nginx.service\"`: the " +
	"reload is a ReloadUnit job over D-Bus, whose ExecReload is Debian's `nginx -s reload`. Every other setting " +
	"is the default: `min_reload_interval` 1 s, but each change comes 1.2 s after the previous one was " +
	"answered, so it is applied at once; the reload hold (`max_draining` 2) is on, but these requests are " +
	"short, so old workers exit at once and nothing is held. From the start of each put of a new key, `/b/<key>` is requested " +
	"through nginx on a new connection every ~1 ms until the backend answers; the test checks that each change " +
	"brought a systemd reload of nginx (one more \"Reloaded\" in its journal, the same main PID). Check and reload are the agent's own timings, " +
	"from the `applied` lines of its journal (reload: the job queued until systemd reports it done). p50 / p95, ms:\n"

func (r *report) firstAnswerTable(p printer) {
	if len(r.firstAnswer) == 0 {
		return
	}
	p("## 6b. The same through systemd: reload_unit = nginx.service, default settings\n")
	p(firstAnswerAbout)
	p("| backends | changes | put → first answer | check (nginx -t) | reload (over D-Bus) | applies |")
	p("|---:|---:|---:|---:|---:|---:|")
	for _, m := range r.firstAnswer {
		p("| %s | %s | %s / %s | %s / %s | %s / %s | %s |", m["backends"], m["changes"],
			m["first_p50_ms"], m["first_p95_ms"], m["check_p50_ms"], m["check_p95_ms"],
			m["reload_p50_ms"], m["reload_p95_ms"], m["applies"])
	}
	p("")
}
