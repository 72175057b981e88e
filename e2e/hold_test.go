package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

const (
	holdMaxDraining = 2
	// holdResource renders nginx's configuration from /e2e/gen with the
	// reload hold; a short budget, so that every change is a reload of its own
	// (drain tells generations apart by start times over 100ms apart).
	holdResource = `[template]
src = "hold.tmpl"
dest = "/etc/nginx/nginx.conf"
keys = ["/e2e/gen"]
check_cmd = "/usr/sbin/nginx -t -q -c {{.src}}"
reload_unit = "nginx.service"
min_reload_interval = "250ms"
max_draining = 2
max_hold = "%s"
`
	drainingTitle = "nginx: worker process is shutting down"
)

// boxNginxConf is an nginx.conf for Debian's nginx.service in a box: one
// worker, one server on 127.0.0.1:port holding locations.
func boxNginxConf(port int, locations string) string {
	return `user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:` + strconv.Itoa(port) + `;
` + locations + `
    }
}
`
}

// holdTemplate: one worker per generation; /gen answers the generation's
// value, /slow goes to a backend that holds each answer until released, so
// every generation that took a /slow request drains until then.
func holdTemplate(port int, slow string) string {
	return boxNginxConf(port, `        location /gen { return 200 "{{getv "/e2e/gen"}}"; }
        location /slow { proxy_pass http://`+slow+`; }`)
}

// TestReloadHoldUnderSystemd: Debian's nginx under a real systemd, the
// shipped unit, and connections held open across reloads (issue 17 item
// 2). Every change reloads nginx and leaves the previous worker generation
// draining; once more than max_draining drain, further reloads are held:
// the generations stay capped at max_draining+1, STATUS= says so, and the
// final state is applied when the workers drain; with a short max_hold it
// is applied anyway while they still drain.
func TestReloadHoldUnderSystemd(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/bin/pgrep", "../contrib/systemd/confwatch.service")
	confwatch, _ := binaries(t)
	etcd := testetcd.Start(t)
	ports := freePorts(t, 2)
	port, metricsPort := ports[0], ports[1]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	backend := newSlowBackend(t)
	units, _ := shippedUnit(holdResource)(t, confwatch, etcd.Endpoint, port)
	units[1].Content = fmt.Sprintf("[Service]\nExecStart=\nExecStart=/usr/local/bin/confwatch run --confdir %s --endpoints %s --log-level debug --listen 127.0.0.1:%d\n",
		agentConfDir, etcd.Endpoint, metricsPort)
	x := startBox(t, []string{"confwatch.service", "nginx.service"}, units...)
	x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
	x.write(agentConfDir+"/conf.d/nginx.toml", fmt.Appendf(nil, holdResource, "60s"), 0o644)
	x.write(agentConfDir+"/templates/hold.tmpl", []byte(holdTemplate(port, backend.addr)), 0o644)
	x.run("rm", "-f", "/etc/nginx/sites-enabled/default")
	status := func() string { return x.prop("confwatch.service", "StatusText") }
	draining := func() int {
		out, _ := x.Run("pgrep", "-c", "-f", "^"+drainingTitle)
		n, _ := strconv.Atoi(strings.TrimSpace(out))
		return n
	}
	// Sampled all along: the most generations ever seen draining at once.
	peak, stopSampling := sampleMax(draining)
	defer stopSampling()

	etcd.Put(t, "/e2e/gen", "g0")
	x.startActive("confwatch.service", "confwatch.service", "nginx.service")
	waitBody(t, lb+"gen", "g0", 10*time.Second)
	// The shipped unit's ProtectProc=invisible stays: as root (group 0) the
	// agent still sees nginx's www-data workers, or nothing would be held.
	if p := x.prop("confwatch.service", "ProtectProc"); p != "invisible" {
		t.Fatalf("ProtectProc=%s, want the shipped unit's invisible", p)
	}
	var clients slowClients
	gen := 0

	// pileUp holds a connection on the current generation, then changes
	// the configuration, until the agent holds the reload.
	pileUp := func(t *testing.T) {
		for range 8 {
			clients.open(t, lb+"slow", backend)
			gen++
			g := "g" + strconv.Itoa(gen)
			etcd.Put(t, "/e2e/gen", g)
			held := false
			waitFor(t, 15*time.Second, "nginx serves "+g+" or the agent holds the reload", func() (bool, string) {
				body, _ := get(lb + "gen")
				held = strings.Contains(status(), "reload held")
				return body == g || held, fmt.Sprintf("/gen %q, status %q", body, status())
			})
			if held {
				return
			}
		}
		t.Fatalf("no hold after 8 reloads with connections held; %d draining; status %q", draining(), status())
	}

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	step("1_generations_capped_then_final_state_after_the_drain", func(t *testing.T) {
		reloads := gen
		pileUp(t)
		reloads = gen - reloads - 1 // the last change was held
		s := status()
		want := fmt.Sprintf("reload held: %d old worker generations draining", holdMaxDraining+1)
		if !strings.Contains(s, want) {
			t.Errorf("status %q, want %q", s, want)
		}
		if m := scrape(t, metricsURL); !strings.Contains(m, `confwatch_reload_held{group="unit:nginx.service"} 1`) {
			t.Errorf("/metrics does not show the hold:\n%s", grepLines(m, "confwatch_reload"))
		}
		// More changes while held: merged, none lost.
		for range 3 {
			gen++
			etcd.Put(t, "/e2e/gen", "g"+strconv.Itoa(gen))
		}
		final := "g" + strconv.Itoa(gen)
		if body, _ := get(lb + "gen"); body == final {
			t.Fatalf("the final state %s was reloaded during the hold", final)
		}
		released := time.Now()
		backend.releaseAll() // the held answers go out; the old workers exit
		clients.wg.Wait()
		waitBody(t, lb+"gen", final, 15*time.Second)
		toFinal := time.Since(released)
		waitFor(t, 10*time.Second, "the hold released in STATUS=", func() (bool, string) {
			s := status()
			return !strings.Contains(s, "reload held"), s
		})
		if p := peak(); p > holdMaxDraining+1 {
			t.Errorf("%d generations drained at once, want at most max_draining+1 = %d", p, holdMaxDraining+1)
		}
		if len(clients.errs) > 0 {
			t.Errorf("%d of %d held requests failed across the reloads: %v", len(clients.errs), clients.n, clients.errs)
		}
		if j := x.Journal("confwatch.service"); !strings.Contains(j, "reload hold released") {
			t.Errorf("the journal does not say the hold was released:\n%s", grepLines(j, "hold"))
		}
		t.Logf("peak %d generations draining; %d changes, final %s served; status %q", peak(), gen, final, status())
		// Read by `make bench` (bench/cmd/benchrun, section 7).
		t.Logf("bench: phase=drain max_draining=%d reloads_before_hold=%d peak_draining=%d changes_during_hold=%d release_to_final_ms=%.0f",
			holdMaxDraining, reloads, peak(), 4, float64(toFinal.Microseconds())/1000)
	})

	step("2_max_hold_applies_the_final_state_anyway", func(t *testing.T) {
		defer func() { backend.releaseAll(); clients.wg.Wait() }()
		x.write(agentConfDir+"/conf.d/nginx.toml", fmt.Appendf(nil, holdResource, "3s"), 0o644)
		x.ctl("reload", "confwatch.service")
		pileUp(t)
		heldAt := time.Now()
		gen++
		final := "g" + strconv.Itoa(gen)
		etcd.Put(t, "/e2e/gen", final)
		waitBody(t, lb+"gen", final, 15*time.Second)
		heldToFinal := time.Since(heldAt)
		n := draining()
		t.Logf("bench: phase=max_hold max_hold_ms=3000 held_to_final_ms=%.0f draining_at_final=%d",
			float64(heldToFinal.Microseconds())/1000, n)
		if n <= holdMaxDraining {
			t.Errorf("only %d generations draining when max_hold ended the hold; want more than %d", n, holdMaxDraining)
		}
		if j := x.Journal("confwatch.service"); !strings.Contains(j, "reached max_hold") {
			t.Errorf("the journal does not say max_hold ended the hold:\n%s", grepLines(j, "hold"))
		}
		if m := scrape(t, metricsURL); !strings.Contains(m, `confwatch_reload_holds_expired_total{group="unit:nginx.service"} 1`) {
			t.Errorf("/metrics does not count the expired hold:\n%s", grepLines(m, "confwatch_reload"))
		}
	})
}
