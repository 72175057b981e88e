package etcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestProbesKeepOneConnection: ten rounds of probes of an answering member
// open one connection, not one per probe (clientv3's Status dials each time);
// a member whose probe failed is dialled afresh once it answers again.
func TestProbesKeepOneConnection(t *testing.T) {
	srv := testetcd.Start(t)
	px := testetcd.NewProxy(t, srv)
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{px.Endpoint}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	m := NewMembers(cli, MemberOptions{})
	defer m.conns.closeAll()
	ctx := context.Background()
	before := px.Accepted()
	for range 10 {
		m.probeAll(ctx)
	}
	if h := m.Health(); !h.Up || len(h.Out) != 0 {
		t.Fatalf("health after 10 rounds: %+v", h)
	}
	if n := px.Accepted() - before; n > 1 {
		t.Fatalf("10 rounds of probes opened %d connections, want 1", n)
	}

	px.Cut()
	for range 3 { // out after Fails probes in a row
		m.probeAll(ctx)
	}
	if h := m.Health(); len(h.Out) != 1 {
		t.Fatalf("health with the member cut off: %+v", h)
	}
	px.Restore()
	m.probeAll(ctx)
	if h := m.Health(); len(h.Out) != 0 {
		t.Fatalf("the member answers again but is still out: %+v", h)
	}
}
