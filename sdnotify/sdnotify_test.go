package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen binds a unixgram socket (abstract when name starts with "@"), points NOTIFY_SOCKET
// at it and returns a function reading the next datagram.
func listen(t *testing.T, name string) func() string {
	t.Helper()
	addr := name
	if !strings.HasPrefix(name, "@") {
		addr = filepath.Join(t.TempDir(), name)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	t.Setenv("NOTIFY_SOCKET", addr)
	return func() string {
		t.Helper()
		buf := make([]byte, 4096)
		if err := conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no datagram: %v", err)
		}
		return string(buf[:n])
	}
}

func TestMessages(t *testing.T) {
	tests := []struct {
		name string
		send func(*Notifier) error
		want string
	}{
		{"ready", (*Notifier).Ready, "READY=1"},
		{"stopping", (*Notifier).Stopping, "STOPPING=1"},
		{"watchdog", (*Notifier).Watchdog, "WATCHDOG=1"},
		{"status", func(n *Notifier) error { return n.Status("ok: 3 resources") }, "STATUS=ok: 3 resources"},
		{"status newlines", func(n *Notifier) error { return n.Status("a\nREADY=1\r\nb\r") }, "STATUS=a READY=1 b "},
		{"extend", func(n *Notifier) error { return n.ExtendTimeout(90 * time.Second) }, "EXTEND_TIMEOUT_USEC=90000000"},
		{"extend tiny", func(n *Notifier) error { return n.ExtendTimeout(0) }, "EXTEND_TIMEOUT_USEC=1"},
		{"combo", func(n *Notifier) error { return n.Send(LineReady, StatusLine("up")) }, "READY=1\nSTATUS=up"},
	}
	sockets := map[string]string{
		"path":     "notify.sock",
		"abstract": "@confwatch-sdnotify-test-" + strconv.Itoa(os.Getpid()),
	}
	for kind, sock := range sockets {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				next := listen(t, sock)
				n := New()
				if !n.Enabled() {
					t.Fatal("not enabled with NOTIFY_SOCKET set")
				}
				if err := tt.send(n); err != nil {
					t.Fatal(err)
				}
				if got := next(); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestReloadingIsOneDatagram(t *testing.T) {
	next := listen(t, "notify.sock")
	if err := New().Reloading(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(next(), "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("got %q, want RELOADING=1 and MONOTONIC_USEC= in one datagram", lines)
	}
	if us, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64); err != nil || us <= 0 {
		t.Errorf("bad MONOTONIC_USEC %q: %v", lines[1], err)
	}
}

func TestKeepsEnvironment(t *testing.T) {
	next := listen(t, "notify.sock")
	n := New()
	for range 2 {
		if err := n.Ready(); err != nil {
			t.Fatal(err)
		}
		if got := next(); got != "READY=1" {
			t.Fatalf("got %q", got)
		}
	}
	if New().Enabled() != true {
		t.Error("NOTIFY_SOCKET was unset by sending")
	}
}

func TestDisabled(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := New()
	if n.Enabled() {
		t.Fatal("enabled without NOTIFY_SOCKET")
	}
	for name, err := range map[string]error{
		"ready": n.Ready(), "reloading": n.Reloading(), "status": n.Status("x"),
		"extend": n.ExtendTimeout(time.Second), "watchdog": n.Watchdog(),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var zero Notifier
	if err := zero.Ready(); err != nil {
		t.Errorf("zero Notifier: %v", err)
	}
}

func TestSendErrors(t *testing.T) {
	t.Run("malformed", func(t *testing.T) {
		listen(t, "notify.sock")
		for _, l := range []string{"READY=1\nSTATUS=x", "READY", "STATUS=a\rb"} {
			if err := New().Send(l); err == nil {
				t.Errorf("Send(%q) = nil, want error", l)
			}
		}
	})
	t.Run("no listener", func(t *testing.T) {
		t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone.sock"))
		if err := New().Ready(); err == nil {
			t.Error("Ready to a missing socket = nil, want error")
		}
	})
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		name, usec, pid string
		want            time.Duration
		wantErr         bool
	}{
		{"unset", "", "", 0, false},
		{"30s", "30000000", "", 15 * time.Second, false},
		{"this pid", "2000000", strconv.Itoa(os.Getpid()), time.Second, false},
		{"other pid", "2000000", "1", 0, false},
		{"garbage", "soon", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			n := New()
			if got := n.WatchdogInterval(); got != tt.want {
				t.Errorf("WatchdogInterval = %v, want %v", got, tt.want)
			}
			if (n.WatchdogErr() != nil) != tt.wantErr {
				t.Errorf("WatchdogErr = %v, want error %v", n.WatchdogErr(), tt.wantErr)
			}
		})
	}
}

func TestCleanEnv(t *testing.T) {
	env := []string{"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1", "WATCHDOG_PID=7",
		"NOTIFY_SOCKETX=keep", "HOME=/root"}
	orig := slices.Clone(env)
	want := []string{"PATH=/bin", "NOTIFY_SOCKETX=keep", "HOME=/root"}
	if got := CleanEnv(env); !slices.Equal(got, want) {
		t.Errorf("CleanEnv = %q, want %q", got, want)
	}
	if !slices.Equal(env, orig) {
		t.Error("CleanEnv modified its argument")
	}
}
