package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// watchdogs waits for n WATCHDOG=1 datagrams on ch, each after the last;
// other datagrams in between are ignored.
func watchdogs(t *testing.T, ch <-chan string, n int, while string) {
	t.Helper()
	for i := 0; i < n; i++ {
		expect(t, ch, "WATCHDOG=1 "+while, has("WATCHDOG=1"))
	}
}

// waitExists waits until p exists.
func waitExists(t *testing.T, p string) {
	t.Helper()
	for i := 0; i < 800; i++ {
		if _, err := os.Stat(p); err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", p)
}

// TestWatchdogFedWhileEtcdDownAndDuringALongCheck: README: "WATCHDOG=1 is
// sent from the agent's own loop at half of WatchdogSec=: ... etcd being
// down is not a wedged loop: it shows in STATUS=, and the pings go on."
// WatchdogSec=1s (WATCHDOG_USEC). Hostile moments for a loop-driven ping:
// etcd unreachable from the very start (the agent is still connecting), and
// a check that runs for longer than WatchdogSec (the shipped unit has
// WatchdogSec=30s with check_cmd_timeout 60s). Pings must go on in both.
func TestWatchdogFedWhileEtcdDownAndDuringALongCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("counts watchdog pings for seconds")
	}
	t.Run("etcd down from the start", func(t *testing.T) {
		d := newConfd(t)
		d.classic(t, "")
		ch := listenNotify(t)
		t.Setenv("WATCHDOG_USEC", "1000000")
		t.Setenv("WATCHDOG_PID", "")
		agent := startAgent(d.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)
		defer func() { agent.cancel(); agent.wait(t) }()
		expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))
		watchdogs(t, ch, 4, "while etcd is unreachable")
	})
	t.Run("check longer than WatchdogSec", func(t *testing.T) {
		srv := testetcd.Start(t)
		srv.Put(t, "/services/apache/a", "10.0.0.1:80")
		d := newConfd(t)
		blk := filepath.Join(t.TempDir(), "block")
		started := blk + ".started"
		must(t, os.WriteFile(blk, nil, 0o644))
		dest := d.classic(t, "check_cmd = \"touch "+started+"; while [ -e "+blk+" ]; do sleep 0.05; done\"\n")
		ch := listenNotify(t)
		t.Setenv("WATCHDOG_USEC", "1000000")
		t.Setenv("WATCHDOG_PID", "")
		agent := startAgent(d.args(srv.Endpoint)...)
		defer func() { agent.cancel(); agent.wait(t) }()
		waitExists(t, started)
		watchdogs(t, ch, 4, "during a check that has not ended") // 2 s: twice WatchdogSec
		must(t, os.Remove(blk))
		expect(t, ch, "READY=1 after the check", has("READY=1"))
		if !strings.Contains(read(t, dest), "server 10.0.0.1:80;") {
			t.Fatal("dest not applied after the check")
		}
	})
}
