package history

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestSidekickKeysThroughLongFreezes freezes each member 25 s in turn under
// the writer's load, with three sidekicks of 3 s TTL: no key may be absent
// while the other two hold quorum. Long (about 90 s): it runs only under
// make torture (CONFWATCH_TORTURE set).
func TestSidekickKeysThroughLongFreezes(t *testing.T) {
	if testing.Short() || os.Getenv("CONFWATCH_TORTURE") == "" {
		t.Skip("runs under make torture (CONFWATCH_TORTURE)")
	}
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.sidekickKeys(ctx, "3s", func() {
		for m := range 3 {
			t.Logf("freeze member %d (leader: member %d) at %s", m+1, r.leader(ctx)+1, time.Now().Format("15:04:05.000"))
			r.freeze(m)
			time.Sleep(25 * time.Second)
			r.thaw(m)
			r.waitHealthy(ctx)
			time.Sleep(2 * time.Second)
		}
	})
}
