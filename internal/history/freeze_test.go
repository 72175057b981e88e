package history

import (
	"context"
	"fmt"
	"os"
	"sync"
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
	if _, err := r.put(ctx, dir+"/k00", "seed"); err != nil {
		t.Fatalf("cluster not usable: %v", err)
	}
	rec, err := Record(ctx, r.c.Endpoints(), dir+"/")
	must(t, err)
	defer rec.Close()
	for i := range 3 {
		r.startSidekick(fmt.Sprintf("%s/side%d", dir, i+1), "3s")
	}
	defer r.stopAll()
	p, w := &presence{r: r}, &writer{r: r}
	var wg sync.WaitGroup
	pctx, pcancel := context.WithCancel(ctx)
	wg.Go(func() { p.run(pctx) })
	wg.Go(func() { w.run(pctx) })
	time.Sleep(3 * time.Second)
	for m := range 3 {
		t.Logf("freeze member %d (leader: member %d) at %s", m+1, r.leader(ctx)+1, time.Now().Format("15:04:05.000"))
		r.freeze(m)
		time.Sleep(25 * time.Second)
		r.thaw(m)
		r.waitHealthy(ctx)
		time.Sleep(2 * time.Second)
	}
	pcancel()
	wg.Wait()
	longest, gaps, reads := p.report()
	t.Logf("key reads %d, longest absence %v", reads, longest)
	for _, g := range gaps {
		t.Errorf("absent while quorum held: %s", g)
	}
	if len(gaps) > 0 {
		_, _, rev := r.get(ctx, dir+"/k00")
		h, _ := rec.History(rev)
		t.Logf("sidekick key events:\n%s\nsidekicks' log:\n%s", sideEvents(h), r.log("sidekicks.log"))
	}
}
