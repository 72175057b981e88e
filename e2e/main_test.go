package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/sdbox"
)

// binDir holds the binaries built for this run (removed by TestMain).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "confwatch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

var build struct {
	once               sync.Once
	confwatch, backend string
	err                error
}

// binaries builds, once per run, the confwatch binary under test and the
// backend test server, and returns their host paths.
func binaries(t *testing.T) (confwatch, backend string) {
	t.Helper()
	build.once.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = "/usr/local/go/bin/go"
		}
		build.confwatch = filepath.Join(binDir, "confwatch")
		build.backend = filepath.Join(binDir, "e2e-backend")
		for out, pkg := range map[string]string{build.confwatch: "./cmd/confwatch", build.backend: "./e2e/backend"} {
			cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, pkg)
			cmd.Dir = ".." // the module root
			if msg, err := cmd.CombinedOutput(); err != nil {
				build.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
				return
			}
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.confwatch, build.backend
}

// prerequisites skips under -short, and when this host cannot run the test
// (not root, files missing); under SDBOX_REQUIRE (CI) that is a failure.
func prerequisites(t *testing.T, files ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root (a systemd box: mounts and namespaces)")
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			skipOrFail(t, "needs %s (apt-get install nginx-light etcd-server): %v", f, err)
		}
	}
}

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("SDBOX_REQUIRE") != "" {
		t.Fatalf("SDBOX_REQUIRE is set, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// box is a running sdbox with helpers that fail the test on error.
type box struct {
	*sdbox.Box
	t *testing.T
}

// startBox boots a box with units, checks after its teardown that nothing
// of it is left on the host, and on failure logs the status and journal of
// the units named in watch.
func startBox(t *testing.T, watch []string, units ...sdbox.UnitFile) *box {
	t.Helper()
	return startBoxWith(t, sdbox.Options{}, watch, units...)
}

// startBoxWith is startBox with sdbox options (a network namespace, a host name).
func startBoxWith(t *testing.T, opts sdbox.Options, watch []string, units ...sdbox.UnitFile) *box {
	t.Helper()
	var dir string
	var pid int
	// Registered before sdbox.Start's own cleanup, so it runs after teardown.
	t.Cleanup(func() {
		if dir == "" {
			return
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("the box's systemd (pid %d) survived teardown: %v", pid, err)
		}
		if left, err := sdbox.MountsUnder(dir); err != nil || len(left) > 0 {
			t.Errorf("mounts left behind: %q (%v)", left, err)
		}
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", dir, err)
		}
	})
	b := &box{Box: sdbox.StartWith(t, opts, units...), t: t}
	dir, pid = filepath.Dir(b.Root()), b.PID()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, u := range watch {
			st, _ := b.Systemctl("status", "--lines=0", u)
			t.Logf("systemctl status %s:\n%s\njournal:\n%s", u, st, b.Journal(u))
		}
	})
	return b
}

// run runs args in the box and returns the output; failure fails the test.
func (b *box) run(args ...string) string {
	b.t.Helper()
	out, err := b.Run(args...)
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}

// ctl runs systemctl in the box; failure fails the test.
func (b *box) ctl(args ...string) string {
	b.t.Helper()
	out, err := b.Systemctl(args...)
	if err != nil {
		b.t.Fatal(err)
	}
	return out
}

// prop is one property of unit (systemctl show -P).
func (b *box) prop(unit, name string) string {
	b.t.Helper()
	return strings.TrimSpace(b.ctl("show", "-P", name, unit))
}

// write puts a file into the box.
func (b *box) write(name string, data []byte, perm os.FileMode) {
	b.t.Helper()
	if err := b.WriteFile(name, data, perm); err != nil {
		b.t.Fatal(err)
	}
}

// install copies a host file into the box.
func (b *box) install(hostPath, name string, perm os.FileMode) {
	b.t.Helper()
	data, err := os.ReadFile(hostPath)
	if err != nil {
		b.t.Fatal(err)
	}
	b.write(name, data, perm)
}

// read returns a file of the box ("" when missing), never following a
// symlink out of it.
func (b *box) read(name string) string {
	b.t.Helper()
	r, err := os.OpenRoot(b.Root())
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Close()
	data, err := r.ReadFile(strings.TrimPrefix(name, "/"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return string(data)
}

// strays lists files whose names show confwatch's staging (".NAME.confwatch-")
// or editors' leftovers in the box's directories dirs.
func (b *box) strays(dirs ...string) []string {
	b.t.Helper()
	var found []string
	for _, d := range dirs {
		out := b.run("find", d, "-xdev", "(", "-name", ".*confwatch*", "-o", "-name", "*~", "-o", "-name", "*.tmp", ")")
		found = append(found, strings.Fields(out)...)
	}
	return found
}

// waitFor polls cond every 25ms until it holds or timeout passes (a test
// failure naming what, with cond's last detail). It returns how long it took.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	began := time.Now()
	for {
		ok, detail := cond()
		if ok {
			return time.Since(began)
		}
		if time.Since(began) > timeout {
			t.Fatalf("after %v: %s: not yet (%s)", timeout, what, detail)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// freePorts returns n distinct loopback TCP ports that were free just now,
// below the ephemeral range: a port chosen now but bound only later (a backend
// started mid-test) cannot be taken meanwhile by one of the load's outgoing
// connections.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for port := 20000 + rand.IntN(8000); len(ports) < n && port < 32768; port++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		ports = append(ports, port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	if len(ports) < n {
		t.Fatalf("found only %d free ports", len(ports))
	}
	return ports
}

// client makes one connection per request: nothing (no keep-alive retry)
// hides a refused or reset connection.
var client = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get returns the body of a 200 answer from url.
func get(url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// waitBody waits until url answers want.
func waitBody(t *testing.T, url, want string, timeout time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, timeout, fmt.Sprintf("%s answers %q", url, want), func() (bool, string) {
		body, err := get(url)
		return err == nil && body == want, fmt.Sprintf("last answer %q, %v", body, err)
	})
}

// hit is one request of a load.
type hit struct {
	sent, done time.Time
	body       string // the backend's answer
	err        error
}

// load sends requests to url from a few workers until stopped, keeping every
// result.
type load struct {
	mu     sync.Mutex
	hits   []hit
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startLoad(t *testing.T, url string, workers int, pause time.Duration) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	for range workers {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				sent := time.Now()
				body, err := get(url)
				l.mu.Lock()
				l.hits = append(l.hits, hit{sent: sent, done: time.Now(), body: body, err: err})
				l.mu.Unlock()
				time.Sleep(pause)
			}
		})
	}
	t.Cleanup(l.stop)
	return l
}

// stop ends the load and waits for the workers (idempotent).
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// between returns the requests sent in [from, to).
func (l *load) between(from, to time.Time) []hit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []hit
	for _, h := range l.hits {
		if !h.sent.Before(from) && h.sent.Before(to) {
			out = append(out, h)
		}
	}
	return out
}

// summary counts answers per body and failures, keeping a few errors.
func summary(hits []hit) (byBody map[string]int, failed int, errs []string) {
	byBody = map[string]int{}
	for _, h := range hits {
		if h.err != nil {
			failed++
			if len(errs) < 5 {
				errs = append(errs, h.err.Error())
			}
			continue
		}
		byBody[h.body]++
	}
	return byBody, failed, errs
}

// lastFrom is when the last answer from body came back, zero if none.
func lastFrom(hits []hit, body string) time.Time {
	var last time.Time
	for _, h := range hits {
		if h.err == nil && h.body == body && h.done.After(last) {
			last = h.done
		}
	}
	return last
}

// firstFrom is when the first answer from body came back, zero if none.
func firstFrom(hits []hit, body string) time.Time {
	var first time.Time
	for _, h := range hits {
		if h.err == nil && h.body == body && (first.IsZero() || h.done.Before(first)) {
			first = h.done
		}
	}
	return first
}

// agentBox boots a box watching agent and nginx.service with units, the
// built confwatch at /usr/local/bin/confwatch, files written, and nginx's
// default site removed (so nginx serves only what the agent renders).
func agentBox(t *testing.T, agent, confwatch string, units []sdbox.UnitFile, files map[string]string) *box {
	t.Helper()
	x := startBox(t, []string{agent, "nginx.service"}, units...)
	x.install(confwatch, "/usr/local/bin/confwatch", 0o755)
	for p, data := range files {
		x.write(p, []byte(data), 0o644)
	}
	x.run("rm", "-f", "/etc/nginx/sites-enabled/default")
	return x
}

// startActive starts units without waiting on the jobs (their ordering is
// what is under test), then waits up to 30 s for each to be active; a unit
// that is not fails the test with the agent's journal.
func (b *box) startActive(agent string, units ...string) {
	b.t.Helper()
	b.ctl(append([]string{"start", "--no-block"}, units...)...)
	for _, u := range units {
		if err := b.WaitActive(u, 30*time.Second); err != nil {
			b.t.Fatalf("%v\n%s", err, b.Journal(agent))
		}
	}
}
