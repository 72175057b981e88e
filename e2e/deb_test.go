package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// The package's build, as `make deb` does it: a PIE Go binary without cgo,
// packaged by contrib/deb/build. A fixed SOURCE_DATE_EPOCH, so two builds
// can be compared byte for byte.
const debEpoch = "1764547200"

var debBuild struct {
	once sync.Once
	bin  string
	err  error
}

// debPackage builds (the binary once per run) confwatch_VERSION into dir and
// returns its host path. It skips, or fails under SDBOX_REQUIRE, without
// dpkg-deb.
func debPackage(t *testing.T, version, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("package test: skipped under -short")
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		skipOrFail(t, "needs dpkg-deb (Debian's dpkg): %v", err)
	}
	debBuild.once.Do(func() {
		debBuild.bin = filepath.Join(binDir, "confwatch-deb")
		cmd := exec.Command(goTool(), "build", "-buildmode=pie", "-trimpath", "-ldflags", "-s -w -X main.version=deb-test",
			"-o", debBuild.bin, "./cmd/confwatch")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			debBuild.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if debBuild.err != nil {
		t.Fatal(debBuild.err)
	}
	cmd := exec.Command("../contrib/deb/build", "--bin", debBuild.bin, "--version", version, "--out", dir)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+debEpoch)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("contrib/deb/build: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

var debBuilt struct {
	sync.Mutex
	path map[string]string // version -> package under binDir
}

// debOnce is debPackage built once per run for each version (dpkg-deb's
// compression takes seconds): for tests that install it, not compare builds.
func debOnce(t *testing.T, version string) string {
	t.Helper()
	debBuilt.Lock()
	defer debBuilt.Unlock()
	if p, ok := debBuilt.path[version]; ok {
		return p
	}
	dir := filepath.Join(binDir, "deb-"+version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := debPackage(t, version, dir)
	if debBuilt.path == nil {
		debBuilt.path = map[string]string{}
	}
	debBuilt.path[version] = p
	return p
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// TestDebReproducible: two builds of the same version are the same bytes.
func TestDebReproducible(t *testing.T) {
	a := debPackage(t, "1.0.0", t.TempDir())
	b := debPackage(t, "1.0.0", t.TempDir())
	da, errA := os.ReadFile(a)
	db, errB := os.ReadFile(b)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !bytes.Equal(da, db) {
		t.Fatalf("two builds differ: %s (%d bytes) and %s (%d bytes)", a, len(da), b, len(db))
	}
	arch, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "confwatch_1.0.0_" + strings.TrimSpace(string(arch)) + ".deb"; filepath.Base(a) != want {
		t.Errorf("package named %s, want %s", filepath.Base(a), want)
	}
	t.Logf("two builds: %d bytes each, identical", len(da))
}

// TestDebLintian: lintian finds no error or warning; the remaining tags are
// overridden with their reasons in contrib/deb/lintian-overrides.
func TestDebLintian(t *testing.T) {
	deb := debPackage(t, "1.0.0", t.TempDir())
	if _, err := exec.LookPath("lintian"); err != nil {
		skipOrFail(t, "needs lintian (apt-get install lintian): %v", err)
	}
	out, err := exec.Command("lintian", "--fail-on", "error,warning", "--display-level", ">=warning", deb).CombinedOutput()
	if err != nil {
		t.Fatalf("lintian: %v\n%s", err, out)
	}
	t.Logf("lintian:\n%s", out)
}

// hostHasConfwatch says whether the host itself has the package or the
// binary: installing into the box must never change that.
func hostHasConfwatch() string {
	out, _ := exec.Command("dpkg-query", "-W", "-f", "${Status}", "confwatch").Output()
	_, err := os.Stat("/usr/bin/confwatch")
	return fmt.Sprintf("dpkg status %q, /usr/bin/confwatch present: %v", out, err == nil)
}

// TestDebUnderSystemd installs the package into a real systemd (issue 18):
// enabled but not started without resources; with a confd tree and etcd,
// `systemctl enable --now confwatch` renders and reloads nginx; an upgrade
// to a rebuilt package of a higher version keeps a modified conffile and
// restarts the agent; `dpkg --purge` leaves nothing of confwatch behind.
//
// dpkg runs only inside the box, whose / is an overlay of the host's with a
// tmpfs upper layer (internal/sdbox): the package lands in the box's memory,
// never on the host, which the test checks before and after.
func TestDebUnderSystemd(t *testing.T) {
	prerequisites(t, "/usr/sbin/nginx", "/lib/systemd/system/nginx.service", "/usr/bin/deb-systemd-helper", "/usr/bin/dpkg")
	v1, v2 := debOnce(t, "1.0.0"), debOnce(t, "1.1.0")
	hostBefore := hostHasConfwatch()
	t.Cleanup(func() {
		if after := hostHasConfwatch(); after != hostBefore {
			t.Errorf("the host changed: before %s, after %s", hostBefore, after)
		}
	})
	etcd := testetcd.Start(t)
	port := freePorts(t, 1)[0]
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	b1, b2 := namedBackend(t, "b1"), namedBackend(t, "b2")

	x := startBox(t, []string{"confwatch.service", "nginx.service"})
	// Docker images deny service starts from maintainer scripts with a
	// policy-rc.d that exits 101; the box is a systemd host, so no policy.
	x.run("rm", "-f", "/usr/sbin/policy-rc.d")
	x.install(v1, "/var/tmp/"+filepath.Base(v1), 0o644)
	x.install(v2, "/var/tmp/"+filepath.Base(v2), 0o644)
	// nginx active on a configuration of its own; Debian's default site
	// would take port 80 of the shared network.
	x.run("rm", "-f", "/etc/nginx/sites-enabled/default")
	x.write("/etc/nginx/nginx.conf", []byte(fmt.Sprintf(`user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 64; }
http { access_log off; server { listen 127.0.0.1:%d; location / { return 200 "before"; } } }
`, port)), 0o644)
	x.ctl("start", "nginx.service")
	waitBody(t, lb, "before", 10*time.Second)
	invocation := func() string { return x.prop("confwatch.service", "InvocationID") }
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("install_without_resources_enables_but_does_not_start", func(t *testing.T) {
		out := x.run("dpkg", "-i", "/var/tmp/"+filepath.Base(v1))
		if !strings.Contains(out, "enabled but not started") {
			t.Errorf("dpkg -i does not say why the agent is not started:\n%s", out)
		}
		if got := x.prop("confwatch.service", "UnitFileState"); got != "enabled" {
			t.Errorf("UnitFileState=%s, want enabled", got)
		}
		if got := x.prop("confwatch.service", "ActiveState"); got != "inactive" {
			t.Errorf("ActiveState=%s, want inactive (no resources yet)", got)
		}
		if got := x.prop("confwatch.service", "ExecStart"); !strings.Contains(got, "path=/usr/bin/confwatch ") {
			t.Errorf("ExecStart %s, want /usr/bin/confwatch", got)
		}
		for _, f := range []string{"/usr/bin/confwatch", "/lib/systemd/system/confwatch.service",
			"/usr/share/man/man8/confwatch.8.gz", "/usr/share/bash-completion/completions/confwatch",
			"/usr/share/zsh/vendor-completions/_confwatch", "/usr/share/fish/vendor_completions.d/confwatch.fish",
			"/etc/confwatch/confwatch.toml", "/usr/share/doc/confwatch/copyright", "/usr/share/doc/confwatch/changelog.gz",
			"/usr/share/doc/confwatch/50-confwatch.rules", "/usr/share/doc/confwatch/README.md.gz"} {
			if _, err := os.Lstat(filepath.Join(x.Root(), f)); err != nil {
				t.Errorf("not installed: %v", err)
			}
		}
		if got := x.run("dpkg-query", "-W", "-f", "${Conffiles}", "confwatch"); !strings.Contains(got, "/etc/confwatch/confwatch.toml") {
			t.Errorf("conffiles: %q", got)
		}
	})

	step("enable_now_renders_and_reloads_nginx", func(t *testing.T) {
		etcd.Put(t, "/services/web/b1", b1)
		// The endpoints go in confd.toml (nodes), as for confd: the package's
		// confwatch.toml, every key commented, changes nothing.
		x.write("/etc/confd/confd.toml", []byte(fmt.Sprintf("backend = \"etcdv3\"\nnodes = [%q]\n", etcd.Endpoint)), 0o644)
		x.write("/etc/confd/conf.d/nginx.toml", []byte(webResource), 0o644)
		x.write("/etc/confd/templates/nginx.conf.tmpl", []byte(nginxConfTemplate(port)), 0o644)
		x.ctl("enable", "--now", "confwatch.service")
		if err := x.WaitActive("confwatch.service", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		waitBody(t, lb, "b1", 15*time.Second)
		if got := x.prop("nginx.service", "ActiveState"); got != "active" {
			t.Errorf("nginx.service %s after the reload", got)
		}
	})

	step("upgrade_keeps_modified_conffile_and_restarts", func(t *testing.T) {
		conf := x.read("/etc/confwatch/confwatch.toml")
		modified := strings.Replace(conf, `#log_level = "info"`, `log_level = "debug"`, 1)
		if modified == conf {
			t.Fatal("the conffile has no #log_level line to change")
		}
		x.write("/etc/confwatch/confwatch.toml", []byte(modified), 0o644)
		before := invocation()
		out := x.run("dpkg", "-i", "/var/tmp/"+filepath.Base(v2))
		if got := strings.TrimSpace(x.run("dpkg-query", "-W", "-f", "${Version}", "confwatch")); got != "1.1.0" {
			t.Fatalf("installed version %s after the upgrade:\n%s", got, out)
		}
		if got := x.read("/etc/confwatch/confwatch.toml"); got != modified {
			t.Errorf("the upgrade replaced the modified conffile:\n%s\ndpkg:\n%s", got, out)
		}
		if err := x.WaitActive("confwatch.service", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if after := invocation(); after == before {
			t.Errorf("the upgrade did not restart confwatch.service (InvocationID %s)", after)
		}
		// The restarted agent, with the operator's log level, follows etcd.
		etcd.Put(t, "/services/web/b2", b2)
		etcd.Delete(t, "/services/web/b1")
		waitBody(t, lb, "b2", 15*time.Second)
		// Only the kept conffile asks for debug: the first agent logged at info.
		if debug := x.run("journalctl", "--no-pager", "-q", "-u", "confwatch.service", "-p", "debug..debug"); strings.TrimSpace(debug) == "" {
			t.Errorf("the restarted agent logs no debug line: log_level from the kept conffile not in effect")
		}
	})

	step("purge_leaves_nothing", func(t *testing.T) {
		files := strings.Fields(x.run("dpkg-query", "-L", "confwatch"))
		x.run("dpkg", "--purge", "confwatch")
		var left []string
		for _, f := range files {
			// Every path of the package names confwatch; the others are shared
			// directories (/usr/share, and /lib, a symlink on merged-/usr hosts).
			if _, err := os.Lstat(filepath.Join(x.Root(), f)); err == nil && strings.Contains(f, "confwatch") {
				left = append(left, f)
			}
		}
		for _, f := range []string{"/var/lib/confwatch", "/etc/confwatch", "/etc/systemd/system/confwatch.service",
			"/etc/systemd/system/multi-user.target.wants/confwatch.service"} {
			if _, err := os.Lstat(filepath.Join(x.Root(), f)); err == nil {
				left = append(left, f)
			}
		}
		found := x.run("find", "/etc/systemd", "/lib/systemd/system", "/var/lib/systemd", "/run/systemd/system",
			"-name", "*confwatch*")
		left = append(left, strings.Fields(found)...)
		if len(left) > 0 {
			t.Errorf("left behind after dpkg --purge: %q", left)
		}
		if got := x.prop("confwatch.service", "LoadState"); got != "not-found" {
			t.Errorf("confwatch.service LoadState=%s, want not-found", got)
		}
		procs := x.run("sh", "-c", `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = confwatch ] && echo $p; done; true`)
		if strings.TrimSpace(procs) != "" {
			t.Errorf("confwatch still running: %s", procs)
		}
		if out, err := x.Run("dpkg-query", "-W", "confwatch"); err == nil {
			t.Errorf("dpkg still knows confwatch: %s", out)
		}
	})
}
