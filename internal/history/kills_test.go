package history

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAgentKillLoops stops the agent with SIGTERM and with kill -9, five
// times each, under the writer's load, restarting it each time: every file
// content must be the render of a revision, in order.
func TestAgentKillLoops(t *testing.T) {
	if testing.Short() {
		t.Skip("real etcd cluster and processes; skipped under -short")
	}
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := r.seed(ctx, 20)
	poll := Poll(r.dest, 5*time.Millisecond)
	defer poll.Stop()
	r.startAgent()
	defer r.stopAll()
	waitFor(t, 30*time.Second, "the agent's first render", func() bool { o, _ := poll.Seen(); return len(o) > 0 })
	var wg sync.WaitGroup
	wctx, wcancel := context.WithCancel(ctx)
	w := &writer{r: r}
	wg.Go(func() { w.run(wctx) })
	var events []string
	for range 5 {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
			time.Sleep(1500 * time.Millisecond)
			events = append(events, fmt.Sprintf("%s %v", time.Now().Format("15:04:05.000"), sig))
			err := r.stopAgent(sig)
			events = append(events, fmt.Sprintf("%s exited %s", time.Now().Format("15:04:05.000"), exitedBy(err)))
			time.Sleep(300 * time.Millisecond)
			r.startAgent()
			events = append(events, time.Now().Format("15:04:05.000")+" started")
		}
	}
	time.Sleep(1500 * time.Millisecond)
	wcancel()
	wg.Wait()
	time.Sleep(time.Second)
	_ = r.stopAgent(syscall.SIGTERM)
	poll.Stop()
	_, _, rev := r.get(ctx, dir+"/k00")
	wctx2, cancel2 := context.WithTimeout(ctx, 20*time.Second)
	defer cancel2()
	must(t, rec.WaitFor(wctx2, rev))
	h, err := rec.History(rev)
	must(t, err)
	ix, err := NewIndex(h, TemplateRenderer(r.tmpl, "", []string{dir}))
	must(t, err)
	seen, _ := poll.Seen()
	reloads, err := ReadLog(r.reload)
	must(t, err)
	ms, vs := ix.Check(seen)
	_, rvs := ix.Check(reloads)
	t.Logf("%d file contents, %d matched, %d violations; %d reloads, %d violations; earlier applies finished (after a restart, or a failed reload): %d",
		len(seen), len(ms), len(vs), len(reloads), len(rvs), strings.Count(r.log("agent.log"), "finished the earlier apply"))
	for _, v := range vs {
		t.Errorf("file: %v", v)
	}
	for _, v := range rvs {
		t.Errorf("reload: %v", v)
	}
	if len(vs)+len(rvs) > 0 {
		var b strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&b, "  file %s rev %d\n", m.At.Format("15:04:05.000"), m.Rev)
		}
		t.Logf("signals:\n  %s\nfile matches:\n%s\nagent log:\n%s", strings.Join(events, "\n  "), b.String(), r.log("agent.log"))
	}
}
