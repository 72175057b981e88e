package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
	"github.com/confwatch/confwatch/internal/testnginx"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func backend(t *testing.T, name string) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, name) }))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func get(url string) string {
	c := http.Client{Timeout: 2 * time.Second}
	r, err := c.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// TestNginxCheckReloadRollback drives a real nginx: the rendered full config
// is checked by `nginx -t` on the staged file, reloaded, and rolled back when
// the reload fails.
func TestNginxCheckReloadRollback(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a real nginx")
	}
	nginx := testnginx.Bin(t)
	srv := testetcd.Start(t)
	d := newConfd(t)
	port := freePort(t)
	b1, b2 := backend(t, "one"), backend(t, "two")
	srv.Put(t, "/services/apache/b1", b1)
	srv.Put(t, "/lb/port", fmt.Sprint(port))
	dest := filepath.Join(d.out, "nginx.conf")
	pid := filepath.Join(d.dir, "nginx.pid")
	g := fmt.Sprintf("-p %s -e stderr -g 'pid %s;'", d.dir, pid)
	fail := filepath.Join(d.dir, "fail-reload")
	d.template(t, "full.tmpl")
	d.resource(t, "nginx", fmt.Sprintf(`src = "full.tmpl"
dest = %q
keys = ["/services/apache", "/lb"]
check_cmd = "%s -t -q %s -c {{.src}}"
reload_cmd = "%s %s -c {{.dest}} -s reload && test ! -e %s"
`, dest, nginx, g, nginx, g, fail))
	// First render without reload (nginx is not running yet), then start nginx on it.
	if code, out, errs := cw(t, d.args(srv.Endpoint, "render", "--sync-only")...); code != 0 {
		t.Fatalf("first render: %d\n%s%s", code, out, errs)
	}
	// nginx daemonizes and keeps stderr: give it a file, not a pipe.
	logf, err := os.Create(filepath.Join(d.dir, "nginx.log"))
	must(t, err)
	defer logf.Close()
	start := exec.Command("sh", "-c", fmt.Sprintf("%s %s -c %s", nginx, g, dest))
	start.Stdout, start.Stderr = logf, logf
	if err := start.Run(); err != nil {
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("start nginx: %v\n%s", err, b)
	}
	t.Cleanup(func() { _ = exec.Command("sh", "-c", fmt.Sprintf("%s %s -c %s -s stop", nginx, g, dest)).Run() })
	lb := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitBody(t, lb, "one")

	// Each step builds on the one before: the first failure ends the test.
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	var good string
	step("1_new_backend_checked_and_reloaded", func(t *testing.T) {
		srv.Put(t, "/services/apache/b2", b2)
		if code, out, errs := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
			t.Fatalf("render: %d\n%s%s", code, out, errs)
		}
		waitBody(t, lb, "two")
		good = read(t, dest)
	})
	step("2_value_nginx_rejects_is_stopped_by_the_check", func(t *testing.T) {
		// dest and nginx unchanged.
		srv.Put(t, "/services/apache/b3", "127.0.0.1:99999") // nginx -t: invalid port
		code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
		if code != exitFailed || read(t, dest) != good {
			t.Fatalf("bad config got through: exit %d\n%s%s", code, out, errs)
		}
		contains(t, "output", out, "failed", "nginx")
		srv.Delete(t, "/services/apache/b3")
	})
	step("3_failed_reload_is_rolled_back_and_reloaded", func(t *testing.T) {
		must(t, os.WriteFile(fail, nil, 0o644))
		srv.Delete(t, "/services/apache/b1")
		code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
		if code != exitFailed || read(t, dest) != good {
			t.Fatalf("failed reload not rolled back: exit %d\n%s%s", code, out, errs)
		}
		waitBody(t, lb, "one") // b1 still in rotation: nginx runs the old file
	})
	step("4_render_after_fixing_the_reload", func(t *testing.T) {
		must(t, os.Remove(fail))
		if code, out, errs := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
			t.Fatalf("render after fixing reload: %d\n%s%s", code, out, errs)
		}
		// nginx -s reload returns before old workers stop: allow them to drain.
		streak := 0
		for deadline := time.Now().Add(5 * time.Second); streak < 10 && time.Now().Before(deadline); {
			if get(lb) == "two" {
				streak++
			} else {
				streak = 0
				time.Sleep(50 * time.Millisecond)
			}
		}
		if streak < 10 {
			t.Fatal("requests still reach b1 after it left")
		}
		entries, _ := os.ReadDir(d.out)
		if len(entries) != 1 {
			t.Fatalf("stray files next to dest: %v", entries)
		}
	})
}

// waitBody waits until some request to url answers body (or, for a body
// ending in a space, starts with it).
func waitBody(t *testing.T, url, body string) {
	t.Helper()
	var last string
	for i := 0; i < 100; i++ {
		if last = get(url); last == body || strings.HasSuffix(body, " ") && strings.HasPrefix(last, body) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered %q (last: %q)", url, body, last)
}
