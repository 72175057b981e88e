package systemd

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/sdbox"
)

func realManager(t *testing.T, box *sdbox.Box) *Manager {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewManager(log, WithPrivateSocket(box.PrivateBusPath()), WithTimeout(30*time.Second))
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func start(t *testing.T, box *sdbox.Box, units ...string) {
	t.Helper()
	if _, err := box.Systemctl(append([]string{"start"}, units...)...); err != nil {
		t.Fatal(err)
	}
}

func activeState(t *testing.T, box *sdbox.Box, unit string) string {
	t.Helper()
	out, _ := box.Systemctl("show", "-P", "ActiveState", unit)
	return strings.TrimSpace(out)
}

func mainPID(t *testing.T, box *sdbox.Box, unit string) string {
	t.Helper()
	out, err := box.Systemctl("show", "-P", "MainPID", unit)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// freePort returns a loopback port that was free a moment ago (the box shares the host's
// network namespace).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitBody polls http://127.0.0.1:port/ until it answers want: nginx's workers switch to a
// reloaded config shortly after the reload job is done.
func waitBody(t *testing.T, port int, want string) {
	t.Helper()
	c := http.Client{Timeout: time.Second}
	got := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			got = err.Error()
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if got = string(b); got == want {
			return
		}
	}
	t.Fatalf("nginx answers %q, want %q", got, want)
}
