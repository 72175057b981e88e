package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestSecondAgentOnSharedStateDirRefuses: README: "another agent on the
// confdir or state_dir" is exit 2, "the message names it". Two confdirs,
// one state_dir: the second agent must exit 2 naming the state_dir and the
// first agent's pid (the existing test shares the confdir only).
func TestSecondAgentOnSharedStateDirRefuses(t *testing.T) {
	a, b := newConfd(t), newConfd(t)
	a.classic(t, "")
	b.classic(t, "")
	b.state = a.state
	ch := listenNotify(t)
	first := startAgent(a.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)
	expect(t, ch, "etcd unreachable in STATUS", has("etcd unreachable since"))
	second := startAgent(b.args("http://127.0.0.1:1", "--dial-timeout", "500ms")...)
	code, errb := second.wait(t)
	if code != exitUsage {
		t.Fatalf("second agent: exit %d, want %d\n%s", code, exitUsage, errb)
	}
	contains(t, "second agent's error", errb, "state_dir "+a.state, "pid "+strconv.Itoa(os.Getpid()))
	first.cancel()
	if code, errb := first.wait(t); code != 0 {
		t.Fatalf("first agent: exit %d\n%s", code, errb)
	}
}

// TestUnwritableStateDirKeepsGuardsInMemory: README, state_dir: "memory only
// when not writable". The state_dir cannot exist (its parent is a regular
// file): the agent must still start, apply, become ready, and its shrink
// guard must still refuse a collapse, from memory.
func TestUnwritableStateDirKeepsGuardsInMemory(t *testing.T) {
	srv := testetcd.Start(t)
	for _, k := range []string{"a", "b", "c", "d"} {
		srv.Put(t, "/services/apache/"+k, "10.0.0."+k+":80")
	}
	d := newConfd(t)
	dest := d.classic(t, "")
	f := filepath.Join(t.TempDir(), "afile")
	must(t, os.WriteFile(f, nil, 0o644))
	d.state = filepath.Join(f, "state")
	ch := listenNotify(t)
	agent := startAgent(d.args(srv.Endpoint)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	select { // an agent that exits at once fails with its own words
	case m := <-ch:
		if !strings.Contains(m, "READY=1") {
			expect(t, ch, "READY=1", has("READY=1"))
		}
	case code := <-agent.done:
		agent.done <- code
		t.Fatalf("the agent exited %d\n%s", code, agent.errb.String())
	}
	waitFile(t, dest, "server 10.0.0.d:80;")
	_, err := srv.Client.Txn(context.Background()).Then(clientv3.OpDelete("/services/apache/b"),
		clientv3.OpDelete("/services/apache/c"), clientv3.OpDelete("/services/apache/d")).Commit()
	must(t, err)
	expect(t, ch, "the drop refused", has("shrank from 4 to 1"))
	if !strings.Contains(read(t, dest), "server 10.0.0.d:80;") {
		t.Fatal("the refused drop was applied")
	}
}
