package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSecondAgentOnOneConfdirRefuses: a second `confwatch run` on the same
// confdir (issue 14: nginx_lb.service and confwatch.service both on
// /etc/confd) exits 2 before touching anything, naming the first by PID.
// Before, both ran and fought over the files and the state.
func TestSecondAgentOnOneConfdirRefuses(t *testing.T) {
	d := newConfd(t)
	d.classic(t, "")
	ch := listenNotify(t)
	first := startAgent(d.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)
	expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))

	other := filepath.Join(t.TempDir(), "state")
	second := startAgent(append(d.args("http://127.0.0.1:1", "--dial-timeout", "500ms"), "--state-dir", other)...)
	code, errb := second.wait(t)
	if code != exitUsage {
		t.Fatalf("second agent: exit %d, want %d\n%s", code, exitUsage, errb)
	}
	for _, want := range []string{"confdir " + d.dir, "in use by another confwatch agent", "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(errb, want) {
			t.Errorf("second agent's error lacks %q:\n%s", want, errb)
		}
	}
	first.cancel()
	if code, errb := first.wait(t); code != 0 {
		t.Fatalf("first agent: exit %d\n%s", code, errb)
	}
}

// TestAgentStartRestoresTheKeptFile: an agent killed during an in-place
// check left the unchecked candidate at dest, the previous file beside it
// and a staged file; the next `confwatch run` puts the previous file back and
// sweeps the rest before it has even reached etcd.
func TestAgentStartRestoresTheKeptFile(t *testing.T) {
	d := newConfd(t)
	dest := d.classic(t, "check_cmd = \"/usr/sbin/nginx -t\"\n")
	must(t, os.WriteFile(dest, []byte("unchecked\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(d.out, ".apache.conf.confwatch-prev"), []byte("last good\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(d.out, ".apache.conf.confwatch-12345"), []byte("half"), 0o600))
	ch := listenNotify(t)
	agent := startAgent(d.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)
	expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))
	agent.cancel()
	code, errb := agent.wait(t)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
	if got := read(t, dest); got != "last good\n" {
		t.Fatalf("dest = %q, want the kept previous file", got)
	}
	es, _ := os.ReadDir(d.out)
	if len(es) != 1 {
		t.Fatalf("left in %s: %v", d.out, es)
	}
	if !strings.Contains(errb, "restored the previous file") {
		t.Errorf("no warning logged:\n%s", errb)
	}
}
