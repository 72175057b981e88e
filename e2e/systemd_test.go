package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	statefile "github.com/confwatch/confwatch/agent/state"
	"github.com/confwatch/confwatch/internal/sdbox"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// The agent's configuration in the box. The nginx resource renders nginx's
// whole configuration and checks the staged candidate itself; the flaky
// resource feeds a unit whose reload fails on the value "fail".
const (
	agentConfDir = "/etc/confwatch/e2e"
	webResource  = `[template]
src = "nginx.conf.tmpl"
dest = "/etc/nginx/nginx.conf"
keys = ["/services/web"]
check_cmd = "/usr/sbin/nginx -t -q -c {{.src}}"
reload_unit = "nginx.service"
`
	flakyResource = `[template]
src = "flaky.tmpl"
dest = "/etc/e2e-flaky/flaky.conf"
keys = ["/e2e/flaky"]
reload_unit = "flaky.service"
`
	flakyTemplate = "{{getv \"/e2e/flaky/value\"}}\n"
	flakyUnit     = `[Unit]
Description=e2e: a service whose reload fails when its file says "fail"

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecReload=/usr/local/bin/e2e-flaky-reload
`
	// flakyReload logs the file each reload sees, and fails on "fail".
	flakyReload = `#!/bin/sh
v=$(cat /etc/e2e-flaky/flaky.conf)
echo "$v" >> /run/e2e-flaky-reloads
[ "$v" != fail ]
`
	flakyLog = "/run/e2e-flaky-reloads"
	// brokenTemplate does not parse.
	brokenTemplate = "upstream web {\n{{range getvs \"/services/web/*\"}\n}\n"
)

// nginxConfTemplate is nginx's whole configuration: the upstream from etcd
// and a proxy on 127.0.0.1:port; no default site.
func nginxConfTemplate(port int) string {
	return `# rendered by confwatch from etcd /services/web (e2e)
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 256; }
http {
    access_log off;
    upstream web {
{{- range getvs "/services/web/*"}}
        server {{.}};
{{- end}}
    }
    server {
        listen 127.0.0.1:` + strconv.Itoa(port) + `;
        location / { proxy_pass http://web; }
    }
}
`
}

// agentDropIn points the shipped unit at the test's confdir and etcd; the
// watchdog is 2s (scenario 5). Everything else, hardening included, is the
// shipped contrib/systemd/confwatch.service.
func agentDropIn(endpoint string) string {
	return fmt.Sprintf(`[Service]
ExecStart=
ExecStart=/usr/local/bin/confwatch run --confdir %s --endpoints %s --log-level debug
WatchdogSec=2s
# The flaky resource's destination (the unit allows /etc/nginx and nginx's logs).
ReadWritePaths=/etc/e2e-flaky
`, agentConfDir, endpoint)
}

// namedBackend is an HTTP server on the host's loopback answering name.
func namedBackend(t *testing.T, name string) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, name) }))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// TestAgentUnderSystemd runs the freshly built agent as the shipped
// contrib/systemd/confwatch.service in a real systemd, in front of Debian's
// nginx.service, with etcd on the host (issue 4, "Tests against a real
// systemd"). The steps build on each other and stop at the first failure.
func TestAgentUnderSystemd(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "../contrib/systemd/confwatch.service")
	confwatch, _ := binaries(t)
	etcd := testetcd.Start(t)
	shipped, err := os.ReadFile("../contrib/systemd/confwatch.service")
	if err != nil {
		t.Fatal(err)
	}
	port := freePorts(t, 1)[0]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	backends := map[string]string{}
	for _, n := range []string{"b1", "b2", "b4"} {
		backends[n] = namedBackend(t, n)
	}

	x := startBox(t, []string{"confwatch.service", "nginx.service", "flaky.service"},
		sdbox.UnitFile{Name: "confwatch.service", Content: string(shipped)},
		sdbox.UnitFile{Name: "confwatch.service.d/e2e.conf", Content: agentDropIn(etcd.Endpoint)},
		sdbox.UnitFile{Name: "flaky.service", Content: flakyUnit},
	)
	x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
	x.write("/usr/local/bin/e2e-flaky-reload", []byte(flakyReload), 0o755)
	x.write(agentConfDir+"/conf.d/nginx-upstream.toml", []byte(webResource), 0o644)
	x.write(agentConfDir+"/templates/nginx.conf.tmpl", []byte(nginxConfTemplate(port)), 0o644)
	x.write(agentConfDir+"/conf.d/flaky.toml", []byte(flakyResource), 0o644)
	x.write(agentConfDir+"/templates/flaky.tmpl", []byte(flakyTemplate), 0o644)
	x.run("mkdir", "-p", "/etc/e2e-flaky")
	// Debian's default site listens on port 80 of the shared network: not in the box.
	x.run("rm", "-f", "/etc/nginx/sites-enabled/default")
	status := func() string { return x.prop("confwatch.service", "StatusText") }
	state := func(unit string) string { return x.prop(unit, "ActiveState") }
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("1_active_only_after_first_render_then_nginx", func(t *testing.T) {
		etcd.Put(t, "/e2e/flaky/value", "good-1")
		x.ctl("start", "flaky.service")
		// /services/web is empty: the guard refuses to render, so the agent
		// must not be ready, and nginx (ordered after it) must wait.
		x.ctl("start", "--no-block", "confwatch.service", "nginx.service")
		waitFor(t, 15*time.Second, "StatusText shows the refusal", func() (bool, string) {
			s := status()
			return strings.Contains(s, "nginx-upstream: refused: /services/web/ empty"), s
		})
		if s := state("confwatch.service"); s != "activating" {
			t.Fatalf("confwatch.service is %s before its first render, want activating", s)
		}
		if s := state("nginx.service"); s != "inactive" {
			t.Fatalf("nginx.service is %s while confwatch is not ready, want inactive (waiting)", s)
		}
		if jobs := x.ctl("list-jobs"); !strings.Contains(jobs, "nginx.service") {
			t.Fatalf("no pending nginx start job:\n%s", jobs)
		}
		if conf := x.read("/etc/nginx/nginx.conf"); strings.Contains(conf, "upstream web") {
			t.Fatal("nginx.conf rendered although the guard refused")
		}

		etcd.Put(t, "/services/web/b1", backends["b1"])
		if err := x.WaitActive("confwatch.service", 20*time.Second); err != nil {
			t.Fatalf("%s%v", explainInactive(x.Journal("confwatch.service")), err)
		}
		if conf := x.read("/etc/nginx/nginx.conf"); !strings.Contains(conf, "server "+backends["b1"]+";") {
			t.Fatalf("confwatch.service active, but nginx.conf lacks b1:\n%s", conf)
		}
		if err := x.WaitActive("nginx.service", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		ready, _ := strconv.ParseUint(x.prop("confwatch.service", "ActiveEnterTimestampMonotonic"), 10, 64)
		started, _ := strconv.ParseUint(x.prop("nginx.service", "InactiveExitTimestampMonotonic"), 10, 64)
		if ready == 0 || started < ready {
			t.Fatalf("nginx started at %d µs, before confwatch was ready at %d µs", started, ready)
		}
		waitBody(t, lb, "b1", 10*time.Second)
		t.Logf("nginx started %v after confwatch was ready; status: %s", time.Duration(started-ready)*time.Microsecond, status())
	})

	step("hardening_of_the_shipped_unit_works", func(t *testing.T) {
		// The check (nginx -t), the swap into /etc/nginx and the D-Bus reload all
		// ran under the unit's sandbox in step 1. Show it was the sandbox.
		for p, want := range map[string]string{"ProtectSystem": "strict", "PrivateTmp": "yes",
			"PrivateDevices": "yes", "NoNewPrivileges": "yes", "RestrictNamespaces": "yes"} {
			if got := x.prop("confwatch.service", p); got != want {
				t.Errorf("%s=%s, want %s (from the shipped unit)", p, got, want)
			}
		}
		pid := x.prop("confwatch.service", "MainPID")
		if out := x.run("cat", "/proc/"+pid+"/status"); !strings.Contains(out, "NoNewPrivs:\t1") || !strings.Contains(out, "Seccomp:\t2") {
			t.Errorf("the agent runs without its sandbox:\n%s", out)
		}
		// The default state_dir (/var/lib/confwatch) must be writable in the
		// sandbox, or the guards forget the last applied key counts at every
		// restart (a watchdog restart included).
		if j := x.Journal("confwatch.service"); strings.Contains(j, "state directory not writable") ||
			!strings.Contains(x.read("/var/lib/confwatch/"+statefile.Key("nginx-upstream", "/etc/nginx/nginx.conf")+".json"), `"counts":[1]`) {
			t.Errorf("the shipped unit leaves state_dir read-only (ProtectSystem=strict without StateDirectory=confwatch):\n%s",
				grepLines(j, "state"))
		}
	})

	step("2_etcd_change_reloads_nginx_over_dbus", func(t *testing.T) {
		nginxPID := x.prop("nginx.service", "MainPID")
		before := strings.Count(x.Journal("nginx.service"), "Reloaded ")
		etcd.Put(t, "/services/web/b2", backends["b2"])
		took := waitBody(t, lb, "b2", 10*time.Second)
		t.Logf("b2 answered through nginx %v after the put", took.Round(time.Millisecond))
		if after := strings.Count(x.Journal("nginx.service"), "Reloaded "); after <= before {
			t.Errorf("systemd ran no reload job for nginx.service (journal %d -> %d \"Reloaded\")", before, after)
		}
		if now := x.prop("nginx.service", "MainPID"); now != nginxPID {
			t.Errorf("nginx was restarted (pid %s -> %s), not reloaded", nginxPID, now)
		}
	})

	step("3_config_nginx_rejects_is_stopped_by_the_check", func(t *testing.T) {
		good := x.read("/etc/nginx/nginx.conf")
		etcd.Put(t, "/services/web/b3", "127.0.0.1:99999") // nginx -t: invalid port
		waitFor(t, 15*time.Second, "StatusText names the failing resource", func() (bool, string) {
			s := status()
			return strings.Contains(s, "failing (nginx-upstream:"), s
		})
		if conf := x.read("/etc/nginx/nginx.conf"); conf != good {
			t.Fatalf("the rejected config reached nginx.conf:\n%s", conf)
		}
		if s := state("confwatch.service"); s != "active" {
			t.Errorf("confwatch.service is %s after a failed check, want active", s)
		}
		seen := map[string]bool{}
		for range 20 {
			body, err := get(lb)
			if err != nil {
				t.Fatalf("nginx stopped serving: %v", err)
			}
			seen[body] = true
		}
		if !seen["b1"] || !seen["b2"] {
			t.Errorf("nginx no longer serves both backends: %v", seen)
		}
		if j := x.Journal("confwatch.service"); !strings.Contains(j, "invalid port") {
			t.Errorf("nginx -t's reason is not in the journal:\n%s", grepLines(j, "check_cmd"))
		}
		t.Logf("status: %s", status())
		etcd.Delete(t, "/services/web/b3")
		waitFor(t, 15*time.Second, "recovered", func() (bool, string) {
			s := status()
			return strings.Contains(s, "2 ok ·"), s
		})
	})

	step("4_failed_reload_is_rolled_back_and_reloaded", func(t *testing.T) {
		if got := x.read("/etc/e2e-flaky/flaky.conf"); got != "good-1\n" {
			t.Fatalf("flaky.conf = %q, want good-1", got)
		}
		etcd.Put(t, "/e2e/flaky/value", "fail")
		waitFor(t, 15*time.Second, "StatusText names flaky failing", func() (bool, string) {
			s := status()
			return strings.Contains(s, "(flaky: ") && strings.Contains(s, "failing"), s
		})
		if got := x.read("/etc/e2e-flaky/flaky.conf"); got != "good-1\n" {
			t.Fatalf("after the failed reload flaky.conf = %q, want the old good-1 back", got)
		}
		seen := strings.Fields(x.read(flakyLog))
		i := slices.Index(seen, "fail")
		if i < 0 || i+1 >= len(seen) || seen[i+1] != "good-1" {
			t.Fatalf("reloads saw %q: want the failing one (fail) followed by a reload of the restored file (good-1)", seen)
		}
		if s := state("flaky.service"); s != "active" {
			t.Errorf("flaky.service is %s", s)
		}
		t.Logf("reloads seen by flaky.service: %q; status: %s", seen, status())
		etcd.Put(t, "/e2e/flaky/value", "good-2")
		waitFor(t, 15*time.Second, "good-2 applied and reloaded", func() (bool, string) {
			log := strings.Fields(x.read(flakyLog))
			return x.read("/etc/e2e-flaky/flaky.conf") == "good-2\n" && len(log) > 0 && log[len(log)-1] == "good-2" &&
				strings.Contains(status(), "2 ok ·"), status()
		})
	})

	step("5_stopped_agent_is_restarted_by_the_watchdog", func(t *testing.T) {
		if n := x.prop("confwatch.service", "NRestarts"); n != "0" {
			t.Errorf("NRestarts=%s before SIGSTOP: the agent was restarted already (spurious watchdog timeouts?):\n%s",
				n, grepLines(x.Journal("confwatch.service"), "atchdog"))
		}
		if wd := x.prop("confwatch.service", "WatchdogUSec"); wd != "2s" {
			t.Fatalf("WatchdogUSec=%s, want 2s", wd)
		}
		// The agent pings at about half of WatchdogSec. A gap close to
		// WatchdogSec itself survives only by systemd's timer slack (up to
		// 250ms): a busy host then kills a healthy agent.
		gaps := watchdogGaps(t, x, 5*time.Second)
		if slices.Max(gaps) >= 1500*time.Millisecond {
			t.Errorf("watchdog pings %v apart with WatchdogSec=2s: want about 1s, well under 2s", gaps)
		} else {
			t.Logf("watchdog pings %v apart", gaps)
		}
		pid := x.prop("confwatch.service", "MainPID")
		x.run("kill", "-STOP", pid)
		took := waitFor(t, 20*time.Second, "a new agent, active", func() (bool, string) {
			now, n, st := x.prop("confwatch.service", "MainPID"), x.prop("confwatch.service", "NRestarts"), state("confwatch.service")
			return now != pid && now != "0" && n != "0" && st == "active", fmt.Sprintf("pid %s, NRestarts %s, %s", now, n, st)
		})
		if j := x.Journal("confwatch.service"); !strings.Contains(j, "Watchdog timeout") {
			t.Errorf("no watchdog timeout in the journal:\n%s", j)
		}
		t.Logf("SIGSTOPped agent (pid %s) replaced by pid %s after %v", pid, x.prop("confwatch.service", "MainPID"), took.Round(time.Millisecond))
		if _, err := get(lb); err != nil {
			t.Errorf("nginx stopped serving: %v", err)
		}
	})

	step("6_reload_with_broken_template_keeps_the_old_configuration", func(t *testing.T) {
		pid := x.prop("confwatch.service", "MainPID")
		x.write(agentConfDir+"/templates/nginx.conf.tmpl", []byte(brokenTemplate), 0o644)
		x.ctl("reload", "confwatch.service")
		waitFor(t, 10*time.Second, "StatusText shows the rejection", func() (bool, string) {
			s := status()
			return strings.Contains(s, "configuration reload rejected") && state("confwatch.service") == "active", s
		})
		if now := x.prop("confwatch.service", "MainPID"); now != pid {
			t.Fatalf("the agent was replaced (pid %s -> %s)", pid, now)
		}
		t.Logf("status: %s", status())
		// Changes still apply, with the old template.
		etcd.Put(t, "/services/web/b4", backends["b4"])
		waitBody(t, lb, "b4", 10*time.Second)
		if conf := x.read("/etc/nginx/nginx.conf"); !strings.Contains(conf, "listen 127.0.0.1:"+strconv.Itoa(port)) {
			t.Fatalf("nginx.conf not rendered from the old template:\n%s", conf)
		}
		// A good template reloads and clears the note.
		x.write(agentConfDir+"/templates/nginx.conf.tmpl", []byte(nginxConfTemplate(port)), 0o644)
		x.ctl("reload", "confwatch.service")
		waitFor(t, 10*time.Second, "the reload accepted", func() (bool, string) {
			s := status()
			return !strings.Contains(s, "rejected") && strings.Contains(s, "2 ok ·"), s
		})
	})

	step("no_stray_files", func(t *testing.T) {
		if s := x.strays("/etc/nginx", "/etc/e2e-flaky"); len(s) > 0 {
			t.Errorf("stray files: %q", s)
		}
	})
}

// watchdogGaps watches confwatch.service's watchdog pings (as systemd
// received them) for d and returns the time between consecutive ones.
func watchdogGaps(t *testing.T, x *box, d time.Duration) []time.Duration {
	var gaps []time.Duration
	var last uint64
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		v, err := strconv.ParseUint(x.prop("confwatch.service", "WatchdogTimestampMonotonic"), 10, 64)
		if err != nil || v == last {
			continue
		}
		if last != 0 {
			gaps = append(gaps, time.Duration(v-last)*time.Microsecond)
		}
		last = v
	}
	if len(gaps) == 0 {
		t.Fatalf("no watchdog ping seen in %v", d)
	}
	return gaps
}

// explainInactive names the known cause when the agent's journal shows its
// first render rolled back because the unit to reload, ordered after the
// agent (Before=nginx.service), was not started yet.
func explainInactive(journal string) string {
	if !strings.Contains(journal, "unit is not active") || !strings.Contains(journal, "rolled back") {
		return ""
	}
	return "DEADLOCK: the agent rolled back its first render because nginx.service, which waits for the agent\n" +
		"to be ready (Before=nginx.service), is not active and so cannot be reloaded; the agent then never\n" +
		"becomes ready and nginx never starts. A reload of an inactive unit (systemd.ErrInactive, without\n" +
		"start_if_inactive) has nothing to reload: the new file must stay, not be rolled back.\n"
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
