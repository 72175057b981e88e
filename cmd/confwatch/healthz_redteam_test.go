package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// healthz returns /healthz's status code and body.
func healthz(t *testing.T, url string) (int, string) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	must(t, err)
	return r.StatusCode, string(b)
}

// waitHealthz waits until /healthz answers code with a body containing sub.
func waitHealthz(t *testing.T, url string, code int, sub string) {
	t.Helper()
	var c int
	var b string
	for i := 0; i < 400; i++ {
		if c, b = healthz(t, url); c == code && strings.Contains(b, sub) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("/healthz never answered %d with %q; last %d %q", code, sub, c, b)
}

// TestHealthzFollowsReadiness: README, Metrics: /healthz is "200 when ready
// and the loop is alive, 503 otherwise; the body is the status line". With
// ready_when = "applied" (the default) an agent whose only resource is
// refused is not ready: 503 naming the refusal, while etcd is fine; once a
// key arrives and the apply succeeds, 200; with etcd unreachable from the
// start, 503 saying so.
func TestHealthzFollowsReadiness(t *testing.T) {
	t.Run("refused, then applied", func(t *testing.T) {
		srv := testetcd.Start(t)
		d := newConfd(t)
		dest := d.classic(t, "")
		must(t, os.WriteFile(dest, []byte("last good\n"), 0o644))
		listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		ch := listenNotify(t)
		agent := startAgent(append([]string{"--listen", listen}, d.args(srv.Endpoint)...)...)
		defer func() { agent.cancel(); agent.wait(t) }()
		expect(t, ch, "the refusal in STATUS", has("refused"))
		waitHealthz(t, "http://"+listen+"/healthz", http.StatusServiceUnavailable, "refused")
		srv.Put(t, "/services/apache/a", "10.0.0.1:80")
		expect(t, ch, "READY=1", has("READY=1"))
		waitHealthz(t, "http://"+listen+"/healthz", http.StatusOK, "1 ok")
	})
	t.Run("etcd unreachable", func(t *testing.T) {
		d := newConfd(t)
		d.classic(t, "")
		listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		ch := listenNotify(t)
		agent := startAgent(append([]string{"--listen", listen}, d.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)...)
		defer func() { agent.cancel(); agent.wait(t) }()
		expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))
		waitHealthz(t, "http://"+listen+"/healthz", http.StatusServiceUnavailable, "etcd unreachable since")
	})
}
