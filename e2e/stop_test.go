package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// blockedClassicResource is the classic resource whose reload first waits
// while /run/block exists (announcing itself in /run/reloading): the test
// holds the reload until the agent's stop job is running.
const blockedClassicResource = `[template]
src = "nginx.conf.tmpl"
dest = "/etc/nginx/nginx.conf"
keys = ["/services/web"]
check_cmd = "/usr/sbin/nginx -t -q"
reload_cmd = "echo running > /run/reloading; while [ -e /run/block ]; do sleep 0.1; done; /usr/sbin/service nginx reload"
`

// TestStopWhileAReloadWaitsBehindIt: `systemctl stop confwatch` arrives
// while the agent's `service nginx reload` is running; the reload's job for
// nginx.service (ordered after the agent) then waits for the agent's stop
// job, which waits for the apply: the deadlock of issue 14.1 on the way
// down. The agent must notice the held job, stop waiting and exit (well
// before TimeoutStopSec=90s), the held reload must then run, and the next
// start must redo the unfinished apply: nginx serves the new backend.
func TestStopWhileAReloadWaitsBehindIt(t *testing.T) {
	x, etcd, lb, b1, b2 := blockedReloadBox(t)
	const agent = "confwatch.service"

	t.Run("stop_abandons_the_held_apply", func(t *testing.T) {
		holdReloadOfB2(t, x, etcd, b2)
		x.ctl("stop", "--no-block", agent)
		waitFor(t, 10*time.Second, "the agent's stop job running", func() (bool, string) {
			jobs := x.ctl("list-jobs", "--no-legend")
			return strings.Contains(jobs, agent) && strings.Contains(jobs, "stop"), jobs
		})
		x.run("rm", "-f", "/run/block")
		took := waitFor(t, 45*time.Second, agent+" inactive", func() (bool, string) {
			st := x.prop(agent, "ActiveState")
			return st == "inactive" || st == "failed", st + "; jobs: " + strings.Join(strings.Fields(x.ctl("list-jobs", "--no-legend")), " ")
		})
		t.Logf("stopped %v after the reload was released", took.Round(time.Millisecond))
		if st := x.prop(agent, "ActiveState"); st != "inactive" {
			t.Errorf("%s is %s after the stop, want inactive:\n%s", agent, st, x.Journal(agent))
		}
		j := x.Journal(agent)
		waits := strings.Index(j, "not waiting for the apply any longer")
		if waits < 0 {
			t.Errorf("the journal does not say the apply was abandoned:\n%s", grepLines(j, "job"))
		}
		// The stop's SIGTERM reached confwatch alone (KillMode=mixed): the running
		// reload was not killed with it, so nothing failed before the abandon.
		stopAt := max(strings.Index(j, "Stopping "), 0)
		if failed := strings.Index(j[stopAt:], "reload failed"); waits >= 0 && failed >= 0 && stopAt+failed < waits {
			t.Errorf("the reload failed before the agent gave up on it (killed by the stop's SIGTERM?):\n%s", grepLines(j, "reload"))
		}
		waitFor(t, 20*time.Second, "no job left queued", func() (bool, string) {
			jobs := strings.TrimSpace(x.ctl("list-jobs", "--no-legend"))
			return jobs == "", jobs
		})
		if st := x.prop("nginx.service", "ActiveState"); st != "active" {
			t.Fatalf("nginx is %s", st)
		}
	})

	t.Run("next_start_redoes_the_apply", func(t *testing.T) {
		x.ctl("start", agent)
		waitBody(t, lb, "b2", 20*time.Second)
		waitFor(t, 10*time.Second, "STATUS 1 ok", func() (bool, string) {
			s := x.prop(agent, "StatusText")
			return strings.Contains(s, "1 ok"), s
		})
		if conf := x.read("/etc/nginx/nginx.conf"); strings.Contains(conf, "server "+b1+";") {
			t.Errorf("nginx.conf still names the removed backend:\n%s", conf)
		}
	})
}

// blockedReloadBox starts the shipped unit with blockedClassicResource in a
// box, nginx serving b1, and waits until the first apply is done; it returns
// the box, etcd, nginx's URL and two backends.
func blockedReloadBox(t *testing.T) (*box, *testetcd.Server, string, string, string) {
	t.Helper()
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/sbin/service", "../contrib/systemd/confwatch.service")
	confwatch, _ := binaries(t)
	etcd := testetcd.Start(t)
	port := freePorts(t, 1)[0]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	b1, b2 := namedBackend(t, "b1"), namedBackend(t, "b2")
	units, files := shippedUnit(blockedClassicResource)(t, confwatch, etcd.Endpoint, port)
	const agent = "confwatch.service"
	x := agentBox(t, agent, confwatch, units, files)
	etcd.Put(t, "/services/web/b1", b1)
	x.startActive(agent, agent, "nginx.service")
	waitBody(t, lb, "b1", 10*time.Second)
	// The first apply's reload (queued behind the agent's start) has ended.
	waitFor(t, 30*time.Second, "the first apply done, no job queued", func() (bool, string) {
		s, jobs := x.prop(agent, "StatusText"), strings.TrimSpace(x.ctl("list-jobs", "--no-legend"))
		return strings.HasPrefix(s, "rev ") && strings.Contains(s, "1 ok") && jobs == "", s + "; jobs: " + jobs
	})
	return x, etcd, lb, b1, b2
}

// holdReloadOfB2 blocks the next reload, replaces b1 by b2 in etcd and
// waits until the reload command runs (held until /run/block goes).
func holdReloadOfB2(t *testing.T, x *box, etcd *testetcd.Server, b2 string) {
	t.Helper()
	x.run("rm", "-f", "/run/reloading")
	x.run("touch", "/run/block")
	t.Cleanup(func() { x.run("rm", "-f", "/run/block") })
	etcd.Delete(t, "/services/web/b1")
	etcd.Put(t, "/services/web/b2", b2)
	waitFor(t, 20*time.Second, "the reload command running", func() (bool, string) {
		return x.read("/run/reloading") != "", "no /run/reloading"
	})
}

// TestAgentReloadReloadsNginxWithoutWaiting: `systemctl reload confwatch`
// with a template that changes nginx's file. The agent's own reload job
// (RELOADING=1 until READY=1) is running while its apply reloads nginx,
// which is ordered after it: the reload_unit job must be queued with
// ignore-dependencies, or it waits behind the agent's job. The reload of the
// agent returns, nginx is reloaded (same main PID) with the new file.
func TestAgentReloadReloadsNginxWithoutWaiting(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "../contrib/systemd/confwatch.service")
	confwatch, _ := binaries(t)
	etcd := testetcd.Start(t)
	port := freePorts(t, 1)[0]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	units, files := shippedUnit(webResource)(t, confwatch, etcd.Endpoint, port)
	const agent = "confwatch.service"
	x := agentBox(t, agent, confwatch, units, files)
	etcd.Put(t, "/services/web/b1", namedBackend(t, "b1"))
	x.startActive(agent, agent, "nginx.service")
	waitBody(t, lb, "b1", 10*time.Second)
	nginxPID := x.prop("nginx.service", "MainPID")
	reloads := strings.Count(x.Journal("nginx.service"), "Reloaded nginx.service")

	x.write(agentConfDir+"/templates/nginx.conf.tmpl", []byte("# v2\n"+nginxConfTemplate(port)), 0o644)
	began := time.Now()
	x.ctl("reload", agent) // returns when the agent's reload job is done
	t.Logf("systemctl reload %s returned after %v", agent, time.Since(began).Round(time.Millisecond))
	waitFor(t, 20*time.Second, "nginx reloaded with the v2 file", func() (bool, string) {
		n := strings.Count(x.Journal("nginx.service"), "Reloaded nginx.service")
		return n > reloads && strings.HasPrefix(x.read("/etc/nginx/nginx.conf"), "# v2"), fmt.Sprintf("%d nginx reloads; jobs: %s", n, x.ctl("list-jobs", "--no-legend"))
	})
	if now := x.prop("nginx.service", "MainPID"); now != nginxPID {
		t.Errorf("nginx was restarted (pid %s -> %s), not reloaded", nginxPID, now)
	}
	waitBody(t, lb, "b1", 10*time.Second)
	if st := x.prop(agent, "StatusText"); !strings.Contains(st, "1 ok") || strings.Contains(st, "ready early") {
		t.Errorf("StatusText after the reload: %q", st)
	}
	if j := x.Journal(agent); strings.Contains(j, "queued behind") {
		t.Errorf("a job was queued behind the agent's:\n%s", grepLines(j, "job"))
	}
}
