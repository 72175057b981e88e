package ack

import (
	"context"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// waitEntry waits until the announcement at key satisfies ok.
func waitEntry(t *testing.T, cli *clientv3.Client, ok func(Entry) bool) Entry {
	t.Helper()
	var got Entry
	err := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return Follow(ctx, cli, "/acks", func(es map[string]Entry) bool {
			got = es["/acks/lb-a"]
			return ok(got)
		})
	}()
	if err != nil {
		t.Fatalf("announcement never as wanted; last %+v: %v", got, err)
	}
	return got
}

// TestWriterAnnouncesUnderItsLease: each transaction's results are
// announced under a lease of the writer's own, and a lease that etcd lost
// (revoked here; expired after a partition alike) is replaced and the
// record written again.
func TestWriterAnnouncesUnderItsLease(t *testing.T) {
	srv := testetcd.Start(t)
	w := NewWriter(WriterOptions{Prefix: "/acks", Name: "lb-a", TTL: 3 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx, srv.Client) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	w.Applied([]engine.Result{{Name: "nginx", Outcome: engine.OutcomeApplied, DirRevs: map[string]int64{"/services/apache": 7}}})
	e := waitEntry(t, srv.Client, func(e Entry) bool { return e.Live() && e.Record.Dirs["/services/apache"].Revision == 7 })

	if _, err := srv.Client.Revoke(context.Background(), clientv3.LeaseID(e.Lease)); err != nil {
		t.Fatal(err)
	}
	again := waitEntry(t, srv.Client, func(x Entry) bool { return x.Live() && x.Lease != e.Lease })
	if again.Record.Dirs["/services/apache"].Revision != 7 {
		t.Errorf("re-announced %+v", again.Record)
	}

	w.Applied([]engine.Result{{Name: "nginx", Outcome: engine.OutcomeFailed, DirRevs: map[string]int64{"/services/apache": 9}}})
	failed := waitEntry(t, srv.Client, func(x Entry) bool { return x.Record.Dirs["/services/apache"].Result == ResultFailed })
	if d := failed.Record.Dirs["/services/apache"]; d.Revision != 7 {
		t.Errorf("a failed apply announced revision %d, want the last good 7", d.Revision)
	}
}
