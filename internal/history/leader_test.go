package history

import (
	"context"
	"testing"
	"time"
)

// TestSidekickKeysThroughLeaderKills kills the leader (kill -9) five times,
// under the writer's load, with three sidekicks of 3 s TTL registered: no key may be absent while the
// remaining two members hold quorum. (TestHistory once saw two keys absent
// 1.9 s and 2.8 s right after a leader kill.)
func TestSidekickKeysThroughLeaderKills(t *testing.T) {
	if testing.Short() {
		t.Skip("real etcd cluster; skipped under -short")
	}
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.sidekickKeys(ctx, "3s", func() {
		for range 5 {
			l := r.leader(ctx)
			if l < 0 {
				t.Fatal("no leader")
			}
			r.kill(l)
			time.Sleep(4 * time.Second)
			r.restart(l)
			r.waitHealthy(ctx)
			time.Sleep(2 * time.Second)
		}
	})
}
