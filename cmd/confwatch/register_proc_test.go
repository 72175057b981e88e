package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/syncbuf"
	"github.com/confwatch/confwatch/internal/testetcd"
)

func TestRegisterProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs confwatch register in child processes")
	}
	srv := testetcd.Start(t)
	t.Run("SIGTERM revokes at once and exits 0", func(t *testing.T) {
		notes := regNotifySocket(t)
		cmd, errb := startRegister(t, srv, notes.path, "/services/web/term", "30s")
		regWait(t, 10*time.Second, "registered", func() bool { return regGet(t, srv, "/services/web/term") == "v" })
		regWait(t, 2*time.Second, "READY=1 and STATUS=registered", func() bool {
			return notes.has("READY=1") && notes.has("STATUS=registered /services/web/term (lease ")
		})
		must(t, cmd.Process.Signal(syscall.SIGTERM))
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, errb)
		}
		if v := regGet(t, srv, "/services/web/term"); v != "" {
			t.Error("key still there right after exit")
		}
		if !notes.has("STATUS=unregistered: stopped") {
			t.Errorf("no final status; got %q", notes.all())
		}
	})
	t.Run("a second SIGTERM ends --drain", func(t *testing.T) {
		notes := regNotifySocket(t)
		cmd, errb := startRegister(t, srv, notes.path, "/services/web/drain", "30s", "--drain", "1h")
		regWait(t, 10*time.Second, "READY=1", func() bool { return notes.has("READY=1") })
		must(t, cmd.Process.Signal(syscall.SIGTERM))
		regWait(t, 10*time.Second, "drain STATUS=", func() bool { return notes.has("STATUS=deregistered; draining 1h0m0s before exit") })
		if v := regGet(t, srv, "/services/web/drain"); v != "" {
			t.Error("the key is still there while draining")
		}
		must(t, cmd.Process.Signal(syscall.SIGTERM))
		if err := regWaitExit(t, cmd, time.Minute); err != nil {
			t.Fatalf("exit after the second SIGTERM: %v\n%s", err, errb)
		}
		if !strings.Contains(errb.String(), "drain cut short") {
			t.Errorf("no log of the drain cut short:\n%s", errb)
		}
	})
	t.Run("kill -9 leaves the key until the TTL", func(t *testing.T) {
		cmd, _ := startRegister(t, srv, "", "/services/web/kill", "2s")
		regWait(t, 10*time.Second, "registered", func() bool { return regGet(t, srv, "/services/web/kill") == "v" })
		must(t, cmd.Process.Kill())
		_ = cmd.Wait()
		killed := time.Now()
		if v := regGet(t, srv, "/services/web/kill"); v != "v" {
			t.Fatal("key gone right after kill -9: it should wait for the TTL")
		}
		regWait(t, 6*time.Second, "expired", func() bool { return regGet(t, srv, "/services/web/kill") == "" })
		t.Logf("key expired %v after kill -9 (TTL 2s)", time.Since(killed).Round(time.Millisecond))
	})
}

// startRegister starts `confwatch register --key KEY --value v --ttl TTL
// MORE...` in a child process (the test binary running
// TestRegisterHelperProcess).
func startRegister(t *testing.T, srv *testetcd.Server, notify, key, ttl string, more ...string) (*exec.Cmd, *syncbuf.Buffer) {
	t.Helper()
	args := append([]string{"-test.run=^TestRegisterHelperProcess$", "--"}, regBase(t, srv.Endpoint)...)
	args = append(append(args, "--key", key, "--value", "v", "--ttl", ttl), more...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CONFWATCH_TEST_REGISTER=1", "NOTIFY_SOCKET="+notify)
	errb := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = errb, errb
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, errb
}

// notifySocket collects sd_notify datagrams.
type notifySocket struct {
	path  string
	mu    sync.Mutex
	lines []string
}

func regNotifySocket(t *testing.T) *notifySocket {
	n := &notifySocket{path: filepath.Join(t.TempDir(), "notify")}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.lines = append(n.lines, strings.Split(string(buf[:k]), "\n")...)
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *notifySocket) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string{}, n.lines...)
}

// has reports whether a line starting with prefix was received.
func (n *notifySocket) has(prefix string) bool {
	for _, l := range n.all() {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// regWaitExit waits for cmd to exit; within is a hang guard, not a timing
// assertion.
func regWaitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("still running %s later", within)
		return nil
	}
}

func regGet(t *testing.T, srv *testetcd.Server, key string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := srv.Client.Get(ctx, key)
	must(t, err)
	if len(r.Kvs) == 0 {
		return ""
	}
	return string(r.Kvs[0].Value)
}

func regWait(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, within)
		}
	}
}
