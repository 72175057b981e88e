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
