package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// notifySocket listens where sd_notify datagrams go and returns them on a channel.
func listenNotify(t *testing.T) <-chan string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	t.Setenv("NOTIFY_SOCKET", p)
	ch := make(chan string, 1000)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return ch
}

// expect reads datagrams until one satisfies ok.
func expect(t *testing.T, ch <-chan string, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-ch:
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no sd_notify datagram with %s", what)
		}
	}
}

func has(sub string) func(string) bool {
	return func(m string) bool { return strings.Contains(m, sub) }
}

func waitFile(t *testing.T, p, sub string) {
	t.Helper()
	for i := 0; i < 400; i++ {
		if strings.Contains(read(t, p), sub) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s never contained %q; has %q", p, sub, read(t, p))
}

// agentRun is `confwatch run` started in-process by startAgent.
type agentRun struct {
	cancel context.CancelFunc // ends the run, as SIGTERM does
	done   chan int
	errb   bytes.Buffer // read only after wait
}

// startAgent starts `confwatch run args...` in-process.
func startAgent(args ...string) *agentRun {
	ctx, cancel := context.WithCancel(context.Background())
	a := &agentRun{cancel: cancel, done: make(chan int, 1)}
	go func() {
		var out bytes.Buffer
		a.done <- run(ctx, append([]string{"confwatch", "run"}, args...), &out, &a.errb)
	}()
	return a
}

// wait returns the run's exit status and stderr once it has ended; a run
// still going after 30s fails the test (a hang guard).
func (a *agentRun) wait(t *testing.T) (int, string) {
	t.Helper()
	select {
	case code := <-a.done:
		return code, a.errb.String()
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
		return 0, ""
	}
}

// TestRunNotifiesAndReloads runs the agent in-process under a fake systemd
// notify socket: READY only after the first render, STATUS kept current,
// SIGHUP with a broken template rejected as a whole, a good one taken,
// SIGTERM (context end) answered with STOPPING and exit 0.
func TestRunNotifiesAndReloads(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	dest := d.classic(t, "")
	ch := listenNotify(t)
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	agent := startAgent(append([]string{"--listen", listen}, d.args(srv.Endpoint)...)...)
	expect(t, ch, "READY=1", has("READY=1"))
	if !strings.Contains(read(t, dest), "server 10.0.0.1:80;") {
		t.Fatal("READY=1 before the first render was in place")
	}
	expect(t, ch, "a STATUS with 1 ok", has("1 ok"))
	waitBody(t, "http://"+listen+"/healthz", "rev ")
	if err := testutil.ScrapeAndCompare("http://"+listen+"/metrics", strings.NewReader(`
# HELP confwatch_ready 1 when every resource is where ready_when wants it.
# TYPE confwatch_ready gauge
confwatch_ready 1
# HELP confwatch_etcd_up 1 when etcd answers reads.
# TYPE confwatch_etcd_up gauge
confwatch_etcd_up 1
# HELP confwatch_resource_syncs_total Syncs of a template resource by outcome (applied, unchanged, refused, failed, would-change).
# TYPE confwatch_resource_syncs_total counter
confwatch_resource_syncs_total{resource="nginx",result="applied"} 1
`), "confwatch_ready", "confwatch_etcd_up", "confwatch_resource_syncs_total"); err != nil {
		t.Error(err)
	}

	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	waitFile(t, dest, "server 10.0.0.2:80;")

	tmpl := filepath.Join(d.dir, "templates", "nginx.tmpl")
	good, _ := os.ReadFile(tmpl)
	must(t, os.WriteFile(tmpl, []byte("{{ range getvs \"/x/*\" }"), 0o644))
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	m := expect(t, ch, "RELOADING=1", has("RELOADING=1"))
	if !strings.Contains(m, "MONOTONIC_USEC=") {
		t.Fatalf("RELOADING=1 without MONOTONIC_USEC= in the same datagram: %q", m)
	}
	expect(t, ch, "READY=1 with the rejection", func(m string) bool {
		return strings.Contains(m, "READY=1") && strings.Contains(m, "configuration reload rejected")
	})
	srv.Put(t, "/services/apache/c", "10.0.0.3:80")
	waitFile(t, dest, "server 10.0.0.3:80;") // the old configuration keeps running

	must(t, os.WriteFile(tmpl, append([]byte("# v2\n"), good...), 0o644))
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	expect(t, ch, "RELOADING=1", has("RELOADING=1"))
	expect(t, ch, "READY=1", has("READY=1"))
	// The first STATUS= after the reload already shows the revision applied.
	m = expect(t, ch, "STATUS= after the reload", has("STATUS="))
	if !regexp.MustCompile(`STATUS=rev [1-9]`).MatchString(m) {
		t.Errorf("STATUS= right after a reload: %q, want the revision applied", m)
	}
	waitFile(t, dest, "# v2")

	agent.cancel()
	expect(t, ch, "STOPPING=1", has("STOPPING=1"))
	code, errb := agent.wait(t)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if strings.Contains(errb, "10.0.0.") {
		t.Error("etcd values logged at info level")
	}
}

func TestRunStartsWithoutEtcdAndLeavesFilesAlone(t *testing.T) {
	d := newConfd(t)
	dest := d.classic(t, "")
	must(t, os.WriteFile(dest, []byte("last good\n"), 0o644))
	ch := listenNotify(t)
	agent := startAgent(d.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)
	expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))
	// A later STATUS, still unreachable, proves the agent went on waiting
	// (and retrying) past the first failure.
	expect(t, ch, "a STATUS still unreachable a second later", func(m string) bool {
		return strings.Contains(m, "etcd unreachable since") && !strings.Contains(m, "(0s ago)")
	})
	agent.cancel()
	code, errb := agent.wait(t)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if read(t, dest) != "last good\n" {
		t.Fatal("dest touched while etcd was unreachable")
	}
	if n := strings.Count(errb, "msg=\"etcd unreachable"); n != 1 {
		t.Errorf("logged 'etcd unreachable' %d times, want once per state change:\n%s", n, errb)
	}
}
