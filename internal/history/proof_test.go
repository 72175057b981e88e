package history

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// schedule is the fault schedule: the short one in `make test`, the long one
// (CONFWATCH_TORTURE=rounds) in `make torture`.
type schedule struct {
	rounds     int
	freezes    []time.Duration // the member serving the agent's watch, SIGSTOPped
	quorumLoss time.Duration
	killQuorum bool // also lose quorum by killing two members, the leader among them
	agentLoops int  // SIGTERM and kill -9 of the agent, each this many times a round
	sidekicks  int
	ttl        string // the sidekicks' lease TTL
	torture    bool
}

func scheduleFromEnv(t *testing.T) schedule {
	s := schedule{rounds: 1, freezes: []time.Duration{10 * time.Second}, quorumLoss: 15 * time.Second, agentLoops: 1, sidekicks: 2,
		// 10 s, not 3 s: on a loaded machine a defrag of the leader or a cluster
		// coming back from quorum loss can leave renewals unanswered for longer
		// than 3 s (seen under make torture); a lease register dropped or a key
		// it failed to restore still shows.
		ttl: "10s"}
	if v := os.Getenv("CONFWATCH_TORTURE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CONFWATCH_TORTURE=%q: want a number of rounds", v)
		}
		s = schedule{rounds: n, freezes: []time.Duration{10 * time.Second, 25 * time.Second}, quorumLoss: 15 * time.Second,
			killQuorum: true, agentLoops: 5, sidekicks: 3, ttl: "3s", torture: true}
	}
	return s
}

// figures are what a run measured.
type figures struct {
	failovers []time.Duration // worst lag of a revision committed while the watch member was frozen
	fromWatch int             // freezes after which the agent logged a stalled watch
	leaderLag []time.Duration // worst lag of a revision committed around a leader kill
	pdp       []time.Duration // put-delete-put: kill of the frozen member to zz=b in the file
	freezeWs  []Window
	quorumWs  []Window // no quorum: nothing is promised
	leaderWs  []Window
	exits     []string // how SIGTERMed agents exited
}

// TestHistory drives the built confwatch binary (agent and sidekicks)
// against three real etcd members through the fault schedule while a writer
// makes ~50 changes a second, and checks every file content and every
// reloaded content against a render of etcd's recorded history.
func TestHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("real etcd cluster and processes for a minute or more; skipped under -short")
	}
	s := scheduleFromEnv(t)
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := r.seed(ctx, 20)
	poll := Poll(r.dest, 5*time.Millisecond)
	defer poll.Stop()
	for i := range s.sidekicks {
		r.startSidekick(fmt.Sprintf("%s/side%d", dir, i+1), s.ttl)
	}
	r.startAgent()
	defer r.stopAll()
	waitFor(t, 30*time.Second, "the agent's first render", func() bool { o, _ := poll.Seen(); return len(o) > 0 })

	var wg sync.WaitGroup
	wctx, wcancel := context.WithCancel(ctx)
	w, p := &writer{r: r}, &presence{r: r}
	wg.Go(func() { w.run(wctx) })
	wg.Go(func() { p.run(wctx) })
	f := &figures{}
	for round := range s.rounds {
		r.round(ctx, t, s, round, rec, poll, f)
	}
	wcancel()
	wg.Wait()
	r.finish(ctx, t, s, rec, poll, w, p, f)
}

// round is one pass of the schedule.
func (r *rig) round(ctx context.Context, t *testing.T, s schedule, round int, rec *Recorder, poll *Poller, f *figures) {
	step := func(name string) { t.Logf("round %d: %s (%s)", round+1, name, time.Now().Format("15:04:05.000")) }
	time.Sleep(3 * time.Second)

	step("leader kill -9 and restart")
	l := -1
	waitUntil(10*time.Second, func() bool { l = r.leader(ctx); return l >= 0 })
	if l >= 0 {
		from := time.Now()
		r.kill(l)
		time.Sleep(3 * time.Second)
		r.restart(l)
		r.waitHealthy(ctx)
		f.leaderWs = append(f.leaderWs, Window{From: from, To: time.Now()})
	} else {
		t.Error("no member says it leads")
	}
	time.Sleep(2 * time.Second)

	for _, d := range s.freezes {
		step(fmt.Sprintf("freeze the watch member %v", d))
		m, by := r.watchMember()
		stalled := strings.Count(r.log("agent.log"), "watch stalled")
		from := time.Now()
		r.freeze(m)
		time.Sleep(d)
		r.thaw(m)
		f.freezeWs = append(f.freezeWs, Window{From: from, To: time.Now()})
		if strings.Count(r.log("agent.log"), "watch stalled") > stalled {
			f.fromWatch++
		}
		t.Logf("froze member %d (agent bytes per member over a second before: %v)", m+1, by)
		r.waitHealthy(ctx)
		time.Sleep(2 * time.Second)
	}

	step(fmt.Sprintf("quorum loss %v: two followers frozen", s.quorumLoss))
	f.quorumWs = append(f.quorumWs, r.loseQuorum(ctx, s.quorumLoss, false))
	if s.killQuorum {
		step(fmt.Sprintf("quorum loss %v: two members killed, the leader among them", s.quorumLoss))
		f.quorumWs = append(f.quorumWs, r.loseQuorum(ctx, s.quorumLoss, true))
	}

	step("compaction and defrag while the agent is stopped (SIGSTOP)")
	r.pauseAgent(func() {
		time.Sleep(2 * time.Second)
		top, _ := rec.Top()
		if err := r.compact(ctx, top); err != nil {
			t.Errorf("compact at %d: %v", top, err)
		}
		time.Sleep(500 * time.Millisecond)
	})
	time.Sleep(2 * time.Second)

	step(fmt.Sprintf("agent SIGTERM and kill -9, %d times each", s.agentLoops))
	for range s.agentLoops {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
			err := r.stopAgent(sig)
			if sig == syscall.SIGTERM {
				f.exits = append(f.exits, exitedBy(err))
			}
			time.Sleep(300 * time.Millisecond)
			r.startAgent()
			time.Sleep(1500 * time.Millisecond)
		}
	}

	step("put-delete-put while the watch member is frozen, then kill -9 it")
	r.putDeletePut(ctx, t, round, poll, f)
	time.Sleep(2 * time.Second)
}

// loseQuorum freezes two followers (or kills two members, the leader among
// them) for d, and returns the window until every member answered again.
func (r *rig) loseQuorum(ctx context.Context, d time.Duration, kill bool) Window {
	l := max(r.leader(ctx), 0)
	victims := []int{(l + 1) % 3, (l + 2) % 3}
	if kill {
		victims = []int{l, (l + 1) % 3}
	}
	r.setQuorum(false)
	w := Window{From: time.Now()}
	for _, v := range victims {
		if kill {
			r.kill(v)
		} else {
			r.freeze(v)
		}
	}
	time.Sleep(d)
	for _, v := range victims {
		if kill {
			r.restart(v)
		} else {
			r.thaw(v)
		}
	}
	r.setQuorum(true)
	r.waitHealthy(ctx)
	w.To = time.Now()
	time.Sleep(2 * time.Second)
	return w
}

// putDeletePut is issue 12 item 1 as a deterministic case: with the watch
// member frozen, zz is put, deleted and put again through the others, and
// the frozen member is killed: the agent's catch-up holds all three events,
// and the file must end with zz=b.
func (r *rig) putDeletePut(ctx context.Context, t *testing.T, round int, poll *Poller, f *figures) {
	m, _ := r.watchMember()
	r.freeze(m)
	key := dir + "/zz"
	a, b := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
	// Through the others, retried while they elect a leader (the frozen
	// member may have been it).
	for _, op := range []func() (int64, error){
		func() (int64, error) { return r.put(ctx, key, a) },
		func() (int64, error) { return r.del(ctx, key) },
		func() (int64, error) { return r.put(ctx, key, b) },
	} {
		var err error
		if !waitUntil(10*time.Second, func() bool { _, err = op(); return err == nil }) {
			t.Errorf("put-delete-put: %v", err)
		}
	}
	r.kill(m)
	killed := time.Now()
	ok := waitUntil(15*time.Second, func() bool {
		o, _ := poll.Seen()
		return len(o) > 0 && strings.Contains(string(o[len(o)-1].Data), "zz="+b+"\n")
	})
	if ok {
		f.pdp = append(f.pdp, time.Since(killed))
	} else {
		o, _ := poll.Seen()
		t.Errorf("put-delete-put (member %d frozen, then killed): the file never showed zz=%s; it shows\n%s", m+1, b, o[len(o)-1].Data)
	}
	r.restart(m)
	r.waitHealthy(ctx)
}

// finish stops the load, waits for the file to converge, stops the agent,
// and checks everything recorded.
func (r *rig) finish(ctx context.Context, t *testing.T, s schedule, rec *Recorder, poll *Poller, w *writer, p *presence, f *figures) {
	_, _, lastWrite := w.counts()
	_, ok, rev := r.get(ctx, dir+"/k00")
	if !ok {
		t.Fatal("no member answers after the schedule")
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	must(t, rec.WaitFor(wctx, rev))
	h, err := rec.History(rev)
	must(t, err)
	ix, err := NewIndex(h, TemplateRenderer(r.tmpl, "", []string{dir}))
	must(t, err)
	want, _ := ix.Final()
	converged := waitUntil(15*time.Second, func() bool {
		o, _ := poll.Seen()
		return string(o[len(o)-1].Data) == string(want)
	})
	o, _ := poll.Seen()
	convergence := o[len(o)-1].At.Sub(lastWrite)
	if !converged {
		t.Errorf("15 s after the last write the file is not the render of revision %d:\n%s\nwant\n%s", rev, o[len(o)-1].Data, want)
	}
	f.exits = append(f.exits, exitedBy(r.stopAgent(syscall.SIGTERM)))
	poll.Stop()
	longest, gaps, reads := p.report()
	r.stopAll()

	_, ok, rev = r.get(ctx, dir+"/k00")
	if !ok {
		t.Fatal("no member answers after the agent stopped")
	}
	must(t, rec.WaitFor(wctx, rev))
	h, err = rec.History(rev)
	must(t, err)
	ix, err = NewIndex(h, TemplateRenderer(r.tmpl, "", []string{dir}))
	must(t, err)
	r.check(t, s, h, ix, poll, f, convergence, longest, gaps, reads, w)
}

// sideEvents lists the events of the sidekicks' keys.
func sideEvents(h History) string {
	var b strings.Builder
	for _, rv := range h.Revs {
		for _, e := range rv.Events {
			if strings.Contains(e.Key, "/side") {
				fmt.Fprintf(&b, "  %d %s %s del=%v\n", rv.Rev, rv.At.Format("15:04:05.000"), e.Key, e.Del)
			}
		}
	}
	return b.String()
}

// check matches every file and reload content to the history and reports
// the figures.
func (r *rig) check(t *testing.T, s schedule, h History, ix *Index, poll *Poller, f *figures, convergence, longest time.Duration,
	gaps []string, keyReads int, w *writer) {
	seen, reads := poll.Seen()
	reloads, err := ReadLog(r.reload)
	must(t, err)
	ms, vs := ix.Check(seen)
	rms, rvs := ix.Check(reloads)
	finished := strings.Count(r.log("agent.log"), "finished the earlier apply")
	report := func(what string, vs []Violation, n int) {
		for i, v := range vs {
			if i == 5 {
				t.Errorf("... and %d more", len(vs)-5)
				break
			}
			t.Errorf("%s: %v", what, v)
		}
		if len(vs) > 0 {
			t.Errorf("%s: %d of %d contents are no render of any revision in order", what, len(vs), n)
		}
	}
	report("file", vs, len(seen))
	report("reload", rvs, len(reloads))
	for _, g := range gaps {
		t.Errorf("sidekick key absent while its process ran and the cluster had quorum: %s", g)
	}
	if len(gaps) > 0 {
		t.Logf("sidekick key events:\n%s\nsidekicks' log:\n%s", sideEvents(h), r.log("sidekicks.log"))
	}
	for _, e := range f.exits {
		if e != "0" {
			t.Errorf("the agent exited %s after SIGTERM", e)
		}
	}
	lags, unseen := ix.Lags(ms, append(r.excused, f.quorumWs...))
	worst, _ := Worst(lags, Window{})
	for _, fw := range f.freezeWs {
		l, _ := Worst(lags, fw)
		f.failovers = append(f.failovers, l.Lag)
	}
	for _, lw := range f.leaderWs {
		l, _ := Worst(lags, lw)
		f.leaderLag = append(f.leaderLag, l.Lag)
	}
	ok, failed, _ := w.counts()
	t.Logf("figures (%d rounds): writes %d acknowledged, %d failed; states checked %d; file contents checked %d (%d reads); "+
		"reloads checked %d (%d matched); worst lag %v (revision %d at %s, %d never shown before the agent stopped); "+
		"final convergence %v after the last write; failover from the frozen watch member %v (p95 %v; the stall detector fired in %d of %d freezes, the member prober moved the watch first in the others); "+
		"worst lag around a leader kill %v; put-delete-put zz shown %v after the kill; sidekick key reads %d, longest absence %v; "+
		"earlier applies finished (after a restart, or a failed reload) %d; agent starts %d",
		s.rounds, ok, failed, ix.States(), len(seen), reads, len(reloads), len(rms), worst.Lag.Round(time.Millisecond), worst.Rev, worst.At.Format("15:04:05.000"), unseen,
		convergence.Round(time.Millisecond), rounded(f.failovers), p95(f.failovers), f.fromWatch, len(f.freezeWs),
		rounded(f.leaderLag), rounded(f.pdp), keyReads, longest.Round(time.Millisecond), finished, len(r.starts))
	if s.torture && p95(f.failovers) > 3*time.Second {
		t.Errorf("failover from a frozen watch member: p95 %v over %d freezes, want at most 3 s (issue 12)", p95(f.failovers), len(f.failovers))
	}
}

func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)*95+99)/100-1].Round(time.Millisecond)
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// waitUntil polls cond every 20 ms until it holds or within passes.
func waitUntil(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(within, cond) {
		t.Fatalf("gave up waiting for %s after %v", what, within)
	}
}
