package main

import (
	"context"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRenderForceBesideRunningAgent: the shrink guard of a running agent
// holds back a drop from 4 backends to 1; `confwatch render --force` applies
// it; the agent then compares with that apply (state_dir), not with its
// memory of 4, so a later change at 1 backend is applied.
func TestRenderForceBesideRunningAgent(t *testing.T) {
	srv := testetcd.Start(t)
	for _, k := range []string{"a", "b", "c", "d"} {
		srv.Put(t, "/services/apache/"+k, "10.0.0."+k+":80")
	}
	d := newConfd(t)
	dest := d.classic(t, "")
	ch := listenNotify(t)
	agent := startAgent(d.args(srv.Endpoint)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	expect(t, ch, "READY=1", has("READY=1"))
	waitFile(t, dest, "server 10.0.0.d:80;")

	// One transaction: deleted one by one, each step would be a small drop.
	_, err := srv.Client.Txn(context.Background()).Then(clientv3.OpDelete("/services/apache/b"),
		clientv3.OpDelete("/services/apache/c"), clientv3.OpDelete("/services/apache/d")).Commit()
	must(t, err)
	expect(t, ch, "the drop refused", has("shrank from 4 to 1"))
	if !strings.Contains(read(t, dest), "server 10.0.0.d:80;") {
		t.Fatal("the refused drop was applied")
	}

	if code, stdout, stderr := cw(t, append([]string{"render", "--force"}, d.args(srv.Endpoint)...)...); code != 0 {
		t.Fatalf("render --force: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := read(t, dest); strings.Contains(got, "10.0.0.d") || !strings.Contains(got, "server 10.0.0.a:80;") {
		t.Fatalf("render --force did not apply the drop:\n%s", got)
	}

	srv.Put(t, "/services/apache/a", "10.0.0.9:80")
	waitFile(t, dest, "server 10.0.0.9:80;")
}
