package register

import (
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/internal/etcdcluster"
)

// TestKeyStaysThroughFrozenMember freezes (SIGSTOP) each member of a real
// three-member cluster in turn, 8 s each, with a 3 s TTL, and reads the key
// every 100 ms through a member that answers: it must never be absent. With clientv3's KeepAlive (one long-lived
// stream) the lease expired when its stream was on the frozen member.
func TestKeyStaysThroughFrozenMember(t *testing.T) {
	skipShort(t)
	c := etcdcluster.Start(t)
	eps := c.Endpoints()
	own, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 2 * time.Second, Logger: zap.NewNop(),
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { own.Close() })
	readers := make([]*clientv3.Client, 3)
	for i, ep := range eps {
		readers[i] = newClient(t, ep)
	}
	r := start(t, own, Options{Key: key, Value: "v", TTL: 3 * time.Second})

	waitFor(t, etcdcluster.WaitTimeout, "registered", registered(t, readers[0], key, "v", 0))
	_, lease := get(t, readers[0], key)
	for victim := range 3 {
		c.Freeze(victim)
		rd := readers[(victim+1)%3]
		for end := time.Now().Add(8 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			resp, err := rd.Get(ctx, key)
			cancel()
			if err != nil {
				continue // the reader's member lost its leader for a moment: no answer is no evidence
			}
			if len(resp.Kvs) == 0 {
				c.Thaw(victim)
				t.Fatalf("member %d frozen: key absent at revision %d while two members answer", victim+1, resp.Header.Revision)
			}
		}
		c.Thaw(victim)
		time.Sleep(2 * time.Second)
	}
	// The promise is the key's presence, checked above every 100 ms. The
	// lease itself is normally kept, but on a loaded machine a renewal can miss
	// the TTL while the leader is frozen (seen once in CI's run): then a new
	// lease replaces it with no gap in the key. Logged, not failed.
	if _, now := get(t, readers[0], key); now != lease {
		t.Logf("lease replaced (%x -> %x) with the key present throughout", lease, now)
	}
	if s := lastStatus(r.notes); !strings.HasPrefix(s, "registered ") {
		t.Errorf("status %q, want registered", s)
	}
}
