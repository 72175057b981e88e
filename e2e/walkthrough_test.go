package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/netlab"
	"github.com/confwatch/confwatch/internal/sdbox"
)

// walkBackendExec replaces the quick start's Docker runtime (no Docker in
// the box) by the README's own alternative, --runtime exec, running the
// e2e backend, which answers with its port.
const walkBackendExec = `--runtime exec --backend-exec '/usr/local/bin/e2e-backend -listen {ip}:{port}'`

// TestReadmeWalkthrough follows the README top to bottom as a newcomer on a
// host where Debian's nginx already serves its default site (issue 14,
// "Done when"): the package installed as Install says first, then the quick
// start's commands as the README prints them (read from README.md, changed
// only where the box needs it: the exec runtime instead of Docker), with
// etcd on 127.0.0.1:2379 and the quick start's own addresses (the box runs
// in a network namespace holding 10.0.0.5, so port 80 is its own). Then the
// service section's agent, started anyway, must refuse as a second agent
// naming the first. It ends with one agent, nginx serving the registered
// backends, and no unit failed, starting, restarted or with a job queued.
func TestReadmeWalkthrough(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/bin/etcd",
		"/lib/systemd/system/etcd.service", "/usr/bin/dpkg", "/usr/bin/curl")
	_, backend := binaries(t)
	deb, upgrade := debOnce(t, "1.0.0"), debOnce(t, "1.1.0")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	install := readmeBlock(t, string(readme), "## Install", "apt install")
	quick := readmeBlock(t, string(readme), "## Quick start on a real host", "--runtime docker")
	status := readmeBlock(t, string(readme), "## Quick start on a real host", "confwatch status")

	lab := netlab.New(t, netlab.Net{Name: "lan", Subnet: "10.0.0"})
	host := lab.AddHost(t, "web", 5, "lan") // 10.0.0.5, the README's --advertise-ip
	units := []string{lbUnit, "nginx.service", "etcd.service", "confwatch.service",
		"apache@8080.service", "apache-discovery@8080.service", "apache@8081.service", "apache-discovery@8081.service"}
	x := startBoxWith(t, sdbox.Options{NetNS: host.NS()}, units,
		sdbox.UnitFile{Name: "etcd.service.d/e2e.conf", Content: etcdDropIn(2379, 2380)})
	x.run("rm", "-f", "/usr/sbin/policy-rc.d") // a systemd host: let the package start services
	x.install(backend, "/usr/local/bin/e2e-backend", 0o755)
	x.install(deb, "/root/dist/"+filepath.Base(deb), 0o644)
	x.install(upgrade, "/var/tmp/"+filepath.Base(upgrade), 0o644)
	w := &walk{t: t, x: x}

	x.ctl("start", "etcd.service", "nginx.service")
	if out, err := w.curl(); err != nil || !strings.Contains(out, "Welcome to nginx") {
		t.Fatalf("nginx is not serving its default site before the walk: %q, %v", out, err)
	}
	for _, line := range install {
		if !strings.HasPrefix(line, "make deb") { // debOnce's build
			w.sh(line)
		}
	}
	w.quickStart(quick)
	x.ctl("enable", "--now", "apache@8081.service") // a second backend, as apache@PORT invites
	w.serving("10.0.0.5:8080", "10.0.0.5:8081")
	for _, line := range status {
		if out := w.sh(line); !strings.Contains(out, "1 load balancer") || !strings.Contains(out, "applied") {
			t.Errorf("%s does not show one load balancer that applied:\n%s", line, out)
		}
	}
	w.secondAgentRefused()

	// An upgrade restarts confwatch.service when it is enabled and the confdir
	// holds resources: after the quick start it must stay stopped.
	x.run("dpkg", "-i", "/var/tmp/"+filepath.Base(upgrade))
	if got := x.prop("confwatch.service", "ActiveState"); got != "inactive" {
		t.Errorf("after the package's upgrade confwatch.service is %s, want inactive", got)
	}
	assertSettled(t, x, units)
}

// walk runs a README's commands in a box.
type walk struct {
	t *testing.T
	x *box
}

// sh runs one README line in the box's shell, as root in /root; failure
// fails the test.
func (w *walk) sh(line string) string {
	w.t.Helper()
	out, err := w.x.Run("sh", "-c", "cd /root && "+line)
	if err != nil {
		w.t.Fatalf("README line %q: %v", line, err)
	}
	w.t.Logf("$ %s\n%s", line, out)
	return out
}

// curl is the quick start's last line: a request to nginx on port 80.
func (w *walk) curl() (string, error) {
	return w.x.Run("curl", "-sS", "--max-time", "3", "http://127.0.0.1/")
}

// quickStart runs the quick start's lines in order, Docker replaced by the
// exec runtime. Its last line, curl, answers 503 until a backend has
// registered: that 503 is checked after the load balancer's line, and the
// backends' answers are waited for afterwards (serving).
func (w *walk) quickStart(lines []string) {
	w.t.Helper()
	for _, line := range lines {
		if strings.HasPrefix(line, "curl ") {
			continue
		}
		w.sh(strings.Replace(line, "--runtime docker", walkBackendExec, 1))
		if !strings.Contains(line, "enable --now "+lbUnit) {
			continue
		}
		// nginx.service's reload returns before its new workers take over.
		var seen []string
		took := waitFor(w.t, 10*time.Second, "nginx answers 503 with no backend registered", func() (bool, string) {
			code, err := w.x.Run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", "http://127.0.0.1/")
			seen = append(seen, code)
			return code == "503", fmt.Sprint(code, err)
		})
		w.t.Logf("503 after %v; answers before: %q", took, seen)
	}
}

// serving waits until nginx answers from each backend (the e2e backend
// answers its port), then checks that exactly backends are registered in
// etcd and rendered into nginx's upstream.
func (w *walk) serving(backends ...string) {
	w.t.Helper()
	for _, b := range backends {
		_, port, _ := strings.Cut(b, ":")
		waitFor(w.t, 20*time.Second, "nginx on 127.0.0.1:80 answers from backend "+port, func() (bool, string) {
			for range 2 * len(backends) { // round robin over the registered backends
				if out, err := w.curl(); err == nil && out == port {
					return true, ""
				}
			}
			out, err := w.curl()
			return false, fmt.Sprintf("%q, %v; %s: %s", out, err, lbUnit, w.x.prop(lbUnit, "StatusText"))
		})
	}
	var want []string
	for _, b := range backends {
		want = append(want, lbKeyDir+b)
	}
	keys := strings.Fields(w.x.run("etcdctl", "--endpoints", "http://127.0.0.1:2379", "get", "--prefix", "--keys-only", lbKeyDir))
	if !slices.Equal(keys, want) {
		w.t.Errorf("registered %q, want %q", keys, want)
	}
	if got := upstreams(w.x.read(lbDest)); !slices.Equal(got, backends) {
		w.t.Errorf("%s's servers are %q, want the registered backends:\n%s", lbDest, got, w.x.read(lbDest))
	}
}

// secondAgentRefused starts the service section's agent, the alternative to
// the quick start's: it must be refused (exit 2, not restarted) naming the
// first. Its failure, the test's doing, is then reset.
func (w *walk) secondAgentRefused() {
	w.t.Helper()
	if out, err := w.x.Systemctl("start", "confwatch.service"); err == nil {
		w.t.Errorf("a second agent on /etc/confd started:\n%s", out)
	}
	waitFor(w.t, 10*time.Second, "confwatch.service failed with exit 2", func() (bool, string) {
		st, code := w.x.prop("confwatch.service", "ActiveState"), w.x.prop("confwatch.service", "ExecMainStatus")
		return st == "failed" && code == "2", st + " " + code
	})
	if j := w.x.Journal("confwatch.service"); !strings.Contains(j, lbUnit) {
		w.t.Errorf("the refusal does not name %s:\n%s", lbUnit, j)
	} else {
		w.t.Logf("the second agent's journal:\n%s", j)
	}
	w.x.ctl("reset-failed", "confwatch.service")
}

// assertSettled checks the walk's end state: one agent (`confwatch run`),
// no unit failed or between states, no job queued, no restart of units.
func assertSettled(t *testing.T, x *box, units []string) {
	t.Helper()
	agents := x.run("sh", "-c", `for p in /proc/[0-9]*; do tr '\0' ' ' <$p/cmdline 2>/dev/null | grep -E '^[^ ]*confwatch run( |$)'; done; true`)
	if n := strings.Count(agents, "confwatch run"); n != 1 {
		t.Errorf("%d agents running, want 1:\n%s", n, agents)
	}
	if got := x.prop(lbUnit, "ActiveState"); got != "active" {
		t.Errorf("%s is %s", lbUnit, got)
	}
	if out := strings.TrimSpace(x.ctl("list-units", "--all", "--no-legend", "--plain", "--state=failed,activating,deactivating,reloading,auto-restart")); out != "" {
		t.Errorf("units failed or not settled:\n%s", out)
	}
	if out := strings.TrimSpace(x.ctl("list-jobs", "--no-legend")); out != "" {
		t.Errorf("jobs left queued:\n%s", out)
	}
	for _, u := range units {
		if n := x.prop(u, "NRestarts"); n != "0" {
			t.Errorf("%s restarted %s times", u, n)
		}
	}
	if got := x.prop("confwatch.service", "UnitFileState"); got == "enabled" {
		t.Errorf("confwatch.service is enabled beside %s: the next boot starts a second agent", lbUnit)
	}
}

// upstreams lists the addresses of the "server ADDR;" lines of an nginx
// configuration.
func upstreams(conf string) []string {
	var addrs []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+([^\s;{]+)\s*;`).FindAllStringSubmatch(conf, -1) {
		addrs = append(addrs, m[1])
	}
	return addrs
}

// readmeBlock returns the commands of the first ```sh block holding must in
// the section of readme under heading (continuation lines joined, comments
// and sudo dropped), failing the test when there is none.
func readmeBlock(t *testing.T, readme, heading, must string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	rest, _, _ = strings.Cut(rest, "\n## ")
	var block string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(rest, -1) {
		if strings.Contains(m[1], must) {
			block = m[1]
			break
		}
	}
	if block == "" {
		t.Fatalf("README.md's %q section has no sh block with %q", heading, must)
	}
	comment := regexp.MustCompile(`\s+#.*$`)
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(comment.ReplaceAllString(l, "")), "sudo ")
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	return lines
}
