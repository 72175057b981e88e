package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/internal/sdbox"
)

const (
	lbTTL     = 5 * time.Second  // the sidekicks' lease TTL (--ttl)
	ttlSlack  = time.Second      // etcd revokes expired leases every 500ms; then the render
	lbDrain   = 3 * time.Second  // backends keep answering this long after SIGTERM
	lbOutage  = 10 * time.Second // how long etcd is stopped
	lbKeyDir  = "/services/apache/"
	lbUnit    = "nginx_lb.service"
	lbDest    = "/etc/nginx/conf.d/apache.conf"
	hangBound = 10 * time.Second // what fails a step whose target (a few seconds) is only logged
	lbWorkers = 2
	lbPause   = 10 * time.Millisecond
)

// etcdDropIn runs Debian's etcd.service on loopback ports of its own, with a
// fresh data directory in the box (the host's /var/lib/etcd/default may hold
// another cluster).
func etcdDropIn(client, peer int) string {
	c, p := fmt.Sprintf("http://127.0.0.1:%d", client), fmt.Sprintf("http://127.0.0.1:%d", peer)
	return fmt.Sprintf(`[Service]
EnvironmentFile=
Environment=ETCD_NAME=e2e ETCD_DATA_DIR=/var/lib/etcd/e2e
Environment=ETCD_LISTEN_CLIENT_URLS=%[1]s ETCD_ADVERTISE_CLIENT_URLS=%[1]s
Environment=ETCD_LISTEN_PEER_URLS=%[2]s ETCD_INITIAL_ADVERTISE_PEER_URLS=%[2]s
Environment=ETCD_INITIAL_CLUSTER=e2e=%[2]s ETCD_INITIAL_CLUSTER_STATE=new
`, c, p)
}

// generateUnits runs `confwatch generate-units` for the box and returns the
// unit files and the confdir files (path inside the box -> content).
func generateUnits(t *testing.T, confwatch string, args ...string) ([]sdbox.UnitFile, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	units, confd := filepath.Join(dir, "units"), filepath.Join(dir, "confd")
	args = append([]string{"generate-units", "--output", units, "--with-confdir", confd}, args...)
	if out, err := exec.Command(confwatch, args...).CombinedOutput(); err != nil {
		t.Fatalf("confwatch %q: %v\n%s", args, err, out)
	}
	var files []sdbox.UnitFile
	ents, err := os.ReadDir(units)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".service") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(units, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, sdbox.UnitFile{Name: e.Name(), Content: string(data)})
	}
	conf := map[string]string{}
	err = filepath.WalkDir(confd, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		conf["/etc/confd/"+strings.TrimPrefix(p, confd+"/")] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, conf
}

// TestLoadBalancer runs the whole load balancer in a real systemd: etcd as a
// unit, three backends and their sidekicks from `confwatch generate-units
// --runtime exec`, and nginx_lb.service (confwatch) in front of Debian's
// nginx.service, observed through requests to nginx (issue 6, "End-to-end
// test"). The steps build on each other and stop at the first failure.
func TestLoadBalancer(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/bin/etcd", "/lib/systemd/system/etcd.service")
	confwatch, backend := binaries(t)
	ports := freePorts(t, 7)
	etcdPort, peerPort, lbPort := ports[0], ports[1], ports[2]
	p1, p2, p3, p4 := strconv.Itoa(ports[3]), strconv.Itoa(ports[4]), strconv.Itoa(ports[5]), strconv.Itoa(ports[6])
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	lb := fmt.Sprintf("http://127.0.0.1:%d/", lbPort)

	units, confd := generateUnits(t, confwatch,
		"--flavor", "systemd", "--runtime", "exec",
		"--backend-exec", fmt.Sprintf("/usr/local/bin/e2e-backend -listen {ip}:{port} -drain %s -etcd %s -key %s{ip}:{port} -report /run/e2e-backend-{port}.stop",
			lbDrain, endpoint, lbKeyDir),
		"--advertise-ip", "127.0.0.1", "--endpoints", endpoint, "--lb-port", strconv.Itoa(lbPort),
		// A short lease, checks twice a second; a killed sidekick comes back
		// only after its lease has run out (RestartSec > TTL).
		"--ttl", lbTTL.String(), "--interval", "500ms", "--restart-sec", "10s")
	units = append(units, sdbox.UnitFile{Name: "etcd.service.d/e2e.conf", Content: etcdDropIn(etcdPort, peerPort)})
	x := startBox(t, []string{lbUnit, "nginx.service", "etcd.service", "apache@" + p3 + ".service",
		"apache-discovery@" + p3 + ".service", "apache-discovery@" + p2 + ".service", "apache@" + p4 + ".service"}, units...)
	x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
	x.install(backend, "/usr/local/bin/e2e-backend", 0o755)
	for p, data := range confd {
		x.write(p, []byte(data), 0o644)
	}
	x.run("rm", "-f", "/etc/nginx/sites-enabled/default") // port 80 of the shared network
	etcd := etcdClient(t, endpoint)
	status := func() string { return x.prop(lbUnit, "StatusText") }
	rendered := func() string { return x.read(lbDest) }
	inConfig := func(port string) bool { return strings.Contains(rendered(), "127.0.0.1:"+port+";") }
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("0_lb_first_503_then_backends", func(t *testing.T) {
		x.ctl("start", "etcd.service")
		// As the README says: enable --now (the units' [Install] sections),
		// the load balancer first: ready with no backend, nginx answering 503.
		x.ctl("enable", "--now", "--no-block", lbUnit) // pulls in nginx.service, ordered after it
		for _, u := range []string{lbUnit, "nginx.service"} {
			if err := x.WaitActive(u, 20*time.Second); err != nil {
				t.Fatalf("%s%v", explainInactive(x.Journal(lbUnit)), err)
			}
		}
		if body, err := get(lb); err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("with no backend registered nginx answered %q, %v; want 503", body, err)
		}
		x.ctl("enable", "--now", "apache@"+p1+".service", "apache@"+p2+".service", "apache@"+p3+".service")
		for _, p := range []string{p1, p2, p3} {
			if err := x.WaitActive("apache-discovery@"+p+".service", 20*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 10*time.Second, "three backends registered and rendered", func() (bool, string) {
			keys := etcdKeys(t, etcd)
			return len(keys) == 3 && inConfig(p1) && inConfig(p2) && inConfig(p3), fmt.Sprint(keys)
		})
		for _, p := range []string{p1, p2, p3} { // nginx reloaded: no more 503
			waitBody(t, lb, p, 10*time.Second)
		}
		for _, u := range []string{lbUnit, "apache@" + p1 + ".service"} {
			if got := x.prop(u, "UnitFileState"); got != "enabled" {
				t.Errorf("%s is %q after enable --now", u, got)
			}
		}
		t.Logf("status: %s", status())
	})

	l := startLoad(t, lb, lbWorkers, lbPause)
	sent := func(from time.Time) []hit { return l.between(from, time.Now()) }

	step("1_all_three_backends_receive_requests", func(t *testing.T) {
		from := time.Now()
		waitFor(t, 10*time.Second, "answers from every backend", func() (bool, string) {
			by, _, _ := summary(sent(from))
			return by[p1] > 0 && by[p2] > 0 && by[p3] > 0, fmt.Sprint(by)
		})
		by, failed, errs := summary(sent(from))
		if failed > 0 {
			t.Errorf("%d failed requests: %q", failed, errs)
		}
		t.Logf("answers per backend port: %v", by)
	})

	step("2_stop_a_backend_sidekick_deregisters_first", func(t *testing.T) {
		began := time.Now()
		stopped := make(chan error, 1)
		go func() { // returns after the sidekick's and the backend's drains
			_, err := x.Systemctl("stop", "apache@"+p3+".service")
			stopped <- err
		}()
		var dropped time.Time // when the rendered config lost p3
		for dropped.IsZero() && time.Since(began) < 20*time.Second {
			if !inConfig(p3) {
				dropped = time.Now()
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := <-stopped; err != nil {
			t.Fatalf("systemctl stop: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
		hits := sent(began)
		by, failed, errs := summary(hits)
		t.Logf("FAILED REQUESTS during `systemctl stop apache@%s`: %d of %d (%v) %q", p3, failed, len(hits), by, errs)
		if failed > 0 {
			t.Errorf("%d requests failed while a backend was stopped", failed)
		}
		report := x.read("/run/e2e-backend-" + p3 + ".stop")
		if !strings.Contains(report, "key-present=false") || !strings.Contains(report, "err=<nil>") {
			t.Errorf("the backend got SIGTERM while its key was still registered (sidekick not stopped first):\n%s", report)
		}
		ns, _ := strings.CutPrefix(strings.SplitN(report, "\n", 2)[0], "sigterm-unix-nano=")
		if n, err := strconv.ParseInt(ns, 10, 64); err != nil {
			t.Errorf("no SIGTERM time in the backend's report: %v\n%s", err, report)
		} else {
			sigterm := time.Unix(0, n)
			t.Logf("the load balancer dropped %s %v after `systemctl stop`; the backend got SIGTERM %v after it (the sidekick's --drain)",
				p3, dropped.Sub(began).Round(time.Millisecond), sigterm.Sub(dropped).Round(time.Millisecond))
			if dropped.IsZero() || !dropped.Before(sigterm) {
				t.Errorf("the backend got SIGTERM (%v) before the load balancer dropped it (%v)", sigterm, dropped)
			}
			for _, h := range hits { // nginx itself, not only the file, had let it go
				if h.body == p3 && h.sent.After(sigterm) {
					t.Errorf("a request sent %v after the backend's SIGTERM reached it", h.sent.Sub(sigterm))
					break
				}
			}
		}
		left := lastFrom(hits, p3)
		if left.IsZero() {
			left = began
		}
		t.Logf("last request reached %s %v after `systemctl stop` (the backend kept answering for %v)",
			p3, left.Sub(began).Round(time.Millisecond), lbDrain)
		// The 2 s target is logged above (machines here are shared and noisy); the
		// test fails only on what no load explains.
		if d := left.Sub(began); d > hangBound {
			t.Errorf("requests reached the stopped backend %v after `systemctl stop`", d)
		}
		if inConfig(p3) {
			t.Errorf("the stopped backend is still in %s:\n%s", lbDest, rendered())
		}
	})

	step("3_start_it_again_back_within_2s", func(t *testing.T) {
		began := time.Now()
		x.ctl("start", "apache@"+p3+".service")
		took := waitFor(t, 10*time.Second, "answers from "+p3, func() (bool, string) {
			return !firstFrom(sent(began), p3).IsZero(), status()
		})
		back := firstFrom(sent(began), p3).Sub(began)
		t.Logf("%s back in rotation %v after `systemctl start` (seen after %v)", p3, back.Round(time.Millisecond), took.Round(time.Millisecond))
		if back > hangBound { // the 2 s target is logged above
			t.Errorf("back in rotation only after %v", back)
		}
		if _, failed, errs := summary(sent(began)); failed > 0 {
			t.Errorf("%d failed requests: %q", failed, errs)
		}
	})

	step("4_killed_sidekick_leaves_within_the_ttl", func(t *testing.T) {
		sidekick := "apache-discovery@" + p2 + ".service"
		pid := x.prop(sidekick, "MainPID")
		began := time.Now()
		x.run("kill", "-9", pid)
		waitFor(t, lbTTL+5*time.Second, p2+" out of the rendered config", func() (bool, string) {
			return !inConfig(p2), status()
		})
		time.Sleep(time.Second) // requests still in flight, or nginx's old workers
		hits := sent(began)
		left := lastFrom(hits, p2).Sub(began)
		t.Logf("after kill -9 of the sidekick, %s left rotation %v later (TTL %v)", p2, left.Round(time.Millisecond), lbTTL)
		if left > lbTTL+ttlSlack {
			t.Errorf("%s still received requests %v after its sidekick died, want within the TTL (%v)", p2, left, lbTTL)
		}
		if !lastFrom(l.between(began.Add(lbTTL+ttlSlack), time.Now()), p2).IsZero() {
			t.Errorf("requests reach %s after the TTL", p2)
		}
		if _, failed, errs := summary(hits); failed > 0 {
			t.Errorf("%d failed requests: %q", failed, errs)
		}
		if s := x.prop("apache@"+p2+".service", "ActiveState"); s != "active" {
			t.Errorf("the backend is %s: only its sidekick was killed", s)
		}
		// Its restart (RestartSec=10s) would bring it back; do not wait for it.
		x.ctl("restart", sidekick)
		began = time.Now()
		waitFor(t, 10*time.Second, p2+" back in rotation", func() (bool, string) {
			return !firstFrom(sent(began), p2).IsZero(), status()
		})
	})

	step("5_etcd_down_for_10s", func(t *testing.T) {
		lbPID, restarts := x.prop(lbUnit, "MainPID"), x.prop(lbUnit, "NRestarts")
		down := time.Now()
		x.ctl("stop", "etcd.service")
		// As if etcd were on another host: the sidekicks' Wants=etcd.service
		// must not start it again when a backend starts meanwhile.
		x.ctl("mask", "--runtime", "etcd.service")
		waitFor(t, 10*time.Second, "StatusText says etcd is unreachable", func() (bool, string) {
			s := status()
			return strings.Contains(s, "etcd unreachable"), s
		})
		t.Logf("status during the outage: %s", status())
		// Changes meanwhile: one backend stops (its sidekick cannot deregister),
		// another starts (its sidekick cannot register yet).
		x.ctl("stop", "--no-block", "apache@"+p3+".service")
		x.ctl("start", "--no-block", "apache@"+p4+".service")
		var states []string
		for time.Since(down) < lbOutage {
			if s := x.prop(lbUnit, "ActiveState"); s != "active" {
				states = append(states, lbUnit+" "+s)
			}
			if s := x.prop("etcd.service", "ActiveState"); s != "inactive" {
				states = append(states, "etcd.service "+s)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(states) > 0 {
			t.Errorf("during the outage: %q (want %s active, etcd.service inactive)", states, lbUnit)
		}
		up := time.Now()
		x.ctl("unmask", "--runtime", "etcd.service")
		x.ctl("start", "etcd.service")
		hits := l.between(down, up)
		by, failed, errs := summary(hits)
		t.Logf("during the %v outage: %d requests, %d failed, answers %v", up.Sub(down).Round(time.Millisecond), len(hits), failed, by)
		if failed > 0 || len(by) == 0 {
			t.Errorf("nginx did not keep serving while etcd was down: %d failed %q", failed, errs)
		}
		if by[p4] > 0 {
			t.Errorf("%s, started while etcd was down, was in rotation before etcd returned", p4)
		}
		waitFor(t, 10*time.Second, "etcd ok again", func() (bool, string) {
			s := status()
			return strings.Contains(s, "etcd ok"), s
		})
		took := waitFor(t, 10*time.Second, p4+" (started during the outage) in rotation", func() (bool, string) {
			return !firstFrom(sent(up), p4).IsZero(), status()
		})
		t.Logf("%s in rotation %v after etcd returned", p4, took.Round(time.Millisecond))
		took = waitFor(t, lbTTL+5*time.Second, p3+" (stopped during the outage) out of the config", func() (bool, string) {
			return !inConfig(p3), status()
		})
		t.Logf("%s out of the config %v after etcd returned (its lease outlived the outage: TTL %v)", p3, took.Round(time.Millisecond), lbTTL)
		if now, n := x.prop(lbUnit, "MainPID"), x.prop(lbUnit, "NRestarts"); now != lbPID || n != restarts {
			t.Errorf("the agent was restarted during the outage (pid %s -> %s, NRestarts %s -> %s)", lbPID, now, restarts, n)
		}
		if _, failed, errs := summary(sent(up)); failed > 0 {
			t.Errorf("%d failed requests after etcd returned: %q", failed, errs)
		}
	})

	step("6_restart_the_lb_agent_nginx_keeps_serving", func(t *testing.T) {
		nginxPID, agentPID := x.prop("nginx.service", "MainPID"), x.prop(lbUnit, "MainPID")
		began := time.Now()
		x.ctl("restart", lbUnit)
		if err := x.WaitActive(lbUnit, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		hits := sent(began)
		by, failed, errs := summary(hits)
		t.Logf("FAILED REQUESTS during `systemctl restart %s`: %d of %d (%v) %q", lbUnit, failed, len(hits), by, errs)
		if failed > 0 {
			t.Errorf("nginx did not keep serving: %d failed requests", failed)
		}
		if now := x.prop(lbUnit, "MainPID"); now == agentPID {
			t.Errorf("%s was not restarted (pid %s)", lbUnit, now)
		}
		if now := x.prop("nginx.service", "MainPID"); now != nginxPID {
			t.Errorf("nginx was restarted too (pid %s -> %s)", nginxPID, now)
		}
	})

	l.stop()
	by, failed, _ := summary(l.between(time.Time{}, time.Now()))
	t.Logf("whole run: %d requests failed; answers per backend %v", failed, by)

	step("7_no_stray_files", func(t *testing.T) {
		ents := strings.Fields(x.run("ls", "-A", filepath.Dir(lbDest)))
		if !slices.Equal(ents, []string{filepath.Base(lbDest)}) {
			t.Errorf("%s holds %q, want only %s", filepath.Dir(lbDest), ents, filepath.Base(lbDest))
		}
		if s := x.strays("/etc/nginx", "/etc/confd"); len(s) > 0 {
			t.Errorf("stray files: %q", s)
		}
	})
}

// etcdClient is a host client of the box's etcd.
func etcdClient(t *testing.T, endpoint string) *clientv3.Client {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// etcdKeys lists the registered backends ("" entries on error).
func etcdKeys(t *testing.T, c *clientv3.Client) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := c.Get(ctx, lbKeyDir, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var keys []string
	for _, kv := range r.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}
