package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/sdbox"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// restartCase is one way of running the agent in front of an active nginx.
type restartCase struct {
	name  string
	agent string // the agent's unit
	units func(t *testing.T, confwatch, endpoint string, port int) ([]sdbox.UnitFile, map[string]string)
	// dest is the rendered file; backend is how it names a backend address.
	dest    string
	keyDir  string
	backend func(addr string) string
	// early: the agent must say it became ready early (a reload_cmd through
	// systemctl cannot be queued so that it does not wait).
	early bool
}

// TestRestartWithNginxActive: nginx is active on an old render, etcd
// changed while the agent was stopped, and the agent is restarted. Its
// first render needs a reload of nginx, which is ordered after the agent
// (Before=nginx.service): a reload job queued the ordinary way waits for the
// agent's own start job, which waits for that reload (issue 14.1). The
// agent must become active within seconds and nginx serve the new backend:
// with the shipped unit and reload_unit, with the generated load-balancer
// unit, and with the classic confd resource's `service nginx reload`.
func TestRestartWithNginxActive(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/sbin/service", "../contrib/systemd/confwatch.service")
	cases := []restartCase{
		{name: "shipped_unit_reload_unit", agent: "confwatch.service", units: shippedUnit(webResource),
			dest: "/etc/nginx/nginx.conf", keyDir: "/services/web/", backend: func(a string) string { return "server " + a + ";" }},
		{name: "shipped_unit_service_nginx_reload", agent: "confwatch.service", units: shippedUnit(classicResource),
			dest: "/etc/nginx/nginx.conf", keyDir: "/services/web/", backend: func(a string) string { return "server " + a + ";" }, early: true},
		{name: "generated_lb_unit", agent: lbUnit, units: generatedLB,
			dest: lbDest, keyDir: lbKeyDir, backend: func(a string) string { return "server " + a + ";" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { restartWithNginxActive(t, c) })
	}
}

// classicResource is the confd tutorial's resource: nginx -t on the live
// configuration and `service nginx reload`, which goes through systemctl.
const classicResource = `[template]
src = "nginx.conf.tmpl"
dest = "/etc/nginx/nginx.conf"
keys = ["/services/web"]
check_cmd = "/usr/sbin/nginx -t -q"
reload_cmd = "/usr/sbin/service nginx reload"
`

// shippedUnit runs the shipped contrib/systemd/confwatch.service with the
// given resource rendering nginx's whole configuration.
func shippedUnit(resource string) func(*testing.T, string, string, int) ([]sdbox.UnitFile, map[string]string) {
	return func(t *testing.T, _, endpoint string, port int) ([]sdbox.UnitFile, map[string]string) {
		shipped, err := os.ReadFile("../contrib/systemd/confwatch.service")
		if err != nil {
			t.Fatal(err)
		}
		units := []sdbox.UnitFile{
			{Name: "confwatch.service", Content: string(shipped)},
			{Name: "confwatch.service.d/e2e.conf", Content: fmt.Sprintf("[Service]\nExecStart=\nExecStart=/usr/local/bin/confwatch run --confdir %s --endpoints %s --log-level debug\n", agentConfDir, endpoint)},
		}
		files := map[string]string{
			agentConfDir + "/conf.d/nginx.toml":         resource,
			agentConfDir + "/templates/nginx.conf.tmpl": nginxConfTemplate(port),
		}
		return units, files
	}
}

// generatedLB is nginx_lb.service and its confdir from generate-units.
func generatedLB(t *testing.T, confwatch, endpoint string, port int) ([]sdbox.UnitFile, map[string]string) {
	units, confd := generateUnits(t, confwatch, "--flavor", "systemd", "--runtime", "exec",
		"--backend-exec", "/bin/true", "--advertise-ip", "127.0.0.1", "--endpoints", endpoint, "--lb-port", strconv.Itoa(port))
	var lb []sdbox.UnitFile
	for _, u := range units {
		if u.Name == lbUnit {
			lb = append(lb, u)
		}
	}
	return lb, confd
}

func restartWithNginxActive(t *testing.T, c restartCase) {
	confwatch, _ := binaries(t)
	etcd := testetcd.Start(t)
	port := freePorts(t, 1)[0]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	b1, b2 := namedBackend(t, "b1"), namedBackend(t, "b2")
	units, files := c.units(t, confwatch, etcd.Endpoint, port)
	x := agentBox(t, c.agent, confwatch, units, files)
	etcd.Put(t, c.keyDir+"b1", b1)
	x.startActive(c.agent, c.agent, "nginx.service")
	waitBody(t, lb, "b1", 10*time.Second)

	// The agent stops; the backend changes meanwhile; nginx goes on serving b1.
	x.ctl("stop", c.agent)
	etcd.Delete(t, c.keyDir+"b1")
	etcd.Put(t, c.keyDir+"b2", b2)
	nginxPID := x.prop("nginx.service", "MainPID")

	began := time.Now()
	x.ctl("restart", "--no-block", c.agent)
	took := waitFor(t, 20*time.Second, c.agent+" active again", func() (bool, string) {
		st := x.prop(c.agent, "ActiveState")
		if st == "failed" {
			t.Fatalf("%s failed:\n%s", c.agent, x.Journal(c.agent))
		}
		return st == "active", st + "; jobs: " + strings.Join(strings.Fields(x.ctl("list-jobs", "--no-legend")), " ") +
			"; status: " + x.prop(c.agent, "StatusText")
	})
	served := waitBody(t, lb, "b2", 10*time.Second)
	t.Logf("%s active %v after `systemctl restart`; nginx served the new backend %v after that",
		c.agent, took.Round(time.Millisecond), (time.Since(began) - took).Round(time.Millisecond))
	_ = served
	if j := x.Journal(c.agent); strings.Contains(j, "queued behind this unit's start") != c.early {
		t.Errorf("journal says %q about an early READY=1, want %v:\n%s", grepLines(j, "ready before"), c.early, grepLines(j, "job"))
	}
	waitFor(t, 10*time.Second, "no note left in StatusText", func() (bool, string) {
		s := x.prop(c.agent, "StatusText")
		return strings.HasPrefix(s, "rev ") && strings.Contains(s, "1 ok"), s
	})
	if conf := x.read(c.dest); !strings.Contains(conf, c.backend(b2)) || strings.Contains(conf, c.backend(b1)) {
		t.Errorf("%s after the restart:\n%s", c.dest, conf)
	}
	if now := x.prop("nginx.service", "MainPID"); now != nginxPID {
		t.Errorf("nginx was restarted (pid %s -> %s), not reloaded", nginxPID, now)
	}
	if jobs := strings.TrimSpace(x.ctl("list-jobs", "--no-legend")); jobs != "" {
		t.Errorf("jobs left queued: %s", jobs)
	}
	// And a stop while nothing is pending is quick (the deadlock made it 60-73 s).
	stopBegan := time.Now()
	x.ctl("stop", c.agent)
	t.Logf("stop took %v", time.Since(stopBegan).Round(time.Millisecond))
}
