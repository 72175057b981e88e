package watch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/internal/etcdcluster"
)

// TestWatchFailsOverFromFrozenMember freezes (SIGSTOP) each member of a real
// three-member cluster in turn, 8 s each, writes through another member, and
// requires the directory watch to deliver the write while the member is
// still frozen: gRPC keepalive alone (10 s + 5 s) only moves after the thaw.
// One of the three freezes hits the member serving the watch stream.
func TestWatchFailsOverFromFrozenMember(t *testing.T) {
	if testing.Short() {
		t.Skip("real etcd cluster; skipped under -short")
	}
	c := etcdcluster.Start(t)
	cli := newClient(t, c.Endpoints()...)
	writers := make([]*clientv3.Client, 3)
	for i, ep := range c.Endpoints() {
		writers[i] = newClient(t, ep)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rctx, rcancel := context.WithTimeout(ctx, etcdcluster.WaitTimeout)
	r, err := writers[0].Put(rctx, "/x/start", "0")
	rcancel()
	if err != nil {
		t.Fatalf("cluster not usable: %v", err)
	}
	m := etcd.NewMembers(cli, etcd.MemberOptions{})
	out := make(chan update, 1024)
	w := &dirWatcher{cli: cli, dir: "/x", log: slog.New(slog.NewTextHandler(io.Discard, nil)), out: out,
		rt: 5 * time.Second, members: m, nudge: make(chan struct{}, 1), stalls: newStallSet()}
	done := make(chan struct{}, 2)
	go func() { m.Run(ctx); done <- struct{}{} }()
	go func() { w.run(ctx, r.Header.Revision); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	seen := r.Header.Revision
	for victim := range 3 {
		c.Freeze(victim)
		thaw := time.Now().Add(8 * time.Second)
		wr := writers[(victim+1)%3]
		var rev int64
		for rev == 0 && time.Now().Before(thaw) {
			pctx, pcancel := context.WithTimeout(ctx, time.Second)
			if pr, err := wr.Put(pctx, "/x/k", fmt.Sprint(victim)); err == nil {
				rev = pr.Header.Revision
			}
			pcancel()
		}
		if rev == 0 {
			c.Thaw(victim)
			t.Fatalf("member %d frozen: no write committed through the others", victim+1)
		}
		for seen < rev && time.Now().Before(thaw) {
			select {
			case u := <-out:
				seen = max(seen, u.rev)
			case <-time.After(100 * time.Millisecond):
			}
		}
		c.Thaw(victim)
		if seen < rev {
			t.Fatalf("member %d frozen 8 s: the watch never delivered revision %d (saw %d) before the thaw", victim+1, rev, seen)
		}
		t.Logf("member %d frozen: revision %d delivered, %v before the thaw", victim+1, rev, time.Until(thaw).Round(100*time.Millisecond))
		time.Sleep(2 * time.Second) // the member rejoins
	}
	if h := m.Health(); !h.Up {
		t.Errorf("after the freezes the prober reports %+v", h)
	}
}

func newClient(t *testing.T, eps ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 2 * time.Second, Logger: zap.NewNop(),
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}
