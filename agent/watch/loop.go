package watch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/kv"
)

// Options configure a Loop.
type Options struct {
	Client         *clientv3.Client
	Engine         *engine.Engine
	Log            *slog.Logger
	Poll           time.Duration // > 0: poll every Poll instead of watching
	RequestTimeout time.Duration // bound on one list
	HealthEvery    time.Duration // etcd reachability probe period (default 2s)
	TickEvery      time.Duration // Hooks.Tick period at most (default and maximum HealthEvery/2)
	Grace          time.Duration // bound on finishing an apply at shutdown (default 80s: below the unit's TimeoutStopSec=90s)
	// Abandon, when closed during shutdown, ends the wait for running applies at
	// once (an apply that cannot finish before the agent exits). Nil: never.
	Abandon <-chan struct{}
	// Members probes the etcd members (nil: the loop runs its own over the
	// client's endpoints): the watches restart on each new generation and
	// the Etcd hook reports what it sees.
	Members *etcd.Members
	Hooks   Hooks
}

// Hooks let the caller follow the loop (sd_notify, metrics, the demo). They
// run on the loop goroutine and must not block.
type Hooks struct {
	// Tick runs at least every HealthEvery while the loop is alive: the
	// watchdog's proof of life.
	Tick func()
	// Synced runs once, after the first list of every directory.
	Synced func(rev int64)
	// Applied runs after each transaction with its results.
	Applied func(group string, sts []engine.Result, took time.Duration)
	// Etcd runs when etcd becomes reachable (up) or not, or what is
	// degraded changes; since is when. Down: err says why. Up: err, when not
	// nil, says what is degraded (members not answering, stalled watches).
	Etcd func(up bool, since time.Time, err error)
	// Changed runs after the cache took in a change.
	Changed func(dir string, rev int64, puts, dels int)
	// Current runs when dir's tree is known current through rev without
	// having changed (a put of the same value, a delete of a key the cache
	// did not hold, a list after a reconnect finding nothing new) while no
	// group reading dir is waiting to apply or applying: what was last
	// applied from dir still stands, now through rev (the drain barrier's
	// announcements advance on it).
	Current func(dir string, rev int64)
}

// Loop is one running agent.
type Loop struct {
	o      Options
	trees  map[string]*kv.Tree
	rev    int64
	dirRev map[string]int64 // each directory is known current through this revision
	errs   map[string]error // directories that could not be read, and why
	synced map[string]bool
	sched  *scheduler
	stalls *stallSet
	nudges []chan struct{} // one per directory watch: ask it for progress
	ups    chan update
	done   chan result
	wg     sync.WaitGroup
}

type result struct {
	group string
	sts   []engine.Result
	took  time.Duration
}

// New builds a loop over the engine's directories.
func New(o Options) *Loop {
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.HealthEvery <= 0 {
		o.HealthEvery = 2 * time.Second
	}
	if o.TickEvery <= 0 || o.TickEvery > o.HealthEvery/2 {
		o.TickEvery = o.HealthEvery / 2
	}
	if o.Grace <= 0 {
		o.Grace = 80 * time.Second
	}
	l := &Loop{o: o, trees: map[string]*kv.Tree{}, synced: map[string]bool{}, dirRev: map[string]int64{}, errs: map[string]error{},
		ups: make(chan update, 64), done: make(chan result, len(o.Engine.Groups())+1)}
	for _, d := range o.Engine.Dirs() {
		l.trees[d] = kv.NewTree()
	}
	l.sched = newScheduler(o.Engine)
	l.stalls = newStallSet()
	for range o.Engine.Dirs() {
		l.nudges = append(l.nudges, make(chan struct{}, 1))
	}
	return l
}

// Revision is the newest revision the cache holds (engine.Source).
func (l *Loop) Revision() int64 { return l.rev }

// DirRevision is the revision through which dir's tree holds every change
// (engine.DirRevisioner): its last event or progress notice, or its list.
func (l *Loop) DirRevision(dir string) int64 { return l.dirRev[dir] }

// Tree returns the live tree of dir (engine.Source).
func (l *Loop) Tree(dir string) *kv.Tree {
	if t, ok := l.trees[dir]; ok {
		return t
	}
	return kv.NewTree()
}

// Err is why dir could not be read at its last list, nil when it was
// (engine.Source).
func (l *Loop) Err(dir string) error { return l.errs[dir] }

// Run runs until ctx ends, then lets a running apply finish (bounded by
// Grace) and returns nil. Destinations are never touched before every
// directory has been listed once.
func (l *Loop) Run(ctx context.Context) error {
	applyCtx, stopApplies := context.WithCancel(context.WithoutCancel(ctx))
	defer stopApplies()
	feedCtx, stopFeeds := context.WithCancel(ctx)
	if l.o.Members == nil {
		l.o.Members = etcd.NewMembers(l.o.Client, etcd.MemberOptions{})
		l.wg.Go(func() { l.o.Members.Run(feedCtx) })
	}
	h := &health{o: l.o, members: l.o.Members, stalls: l.stalls, events: make(chan healthEvent, 1)}
	l.wg.Add(2)
	go func() { defer l.wg.Done(); l.feed(feedCtx) }()
	go func() { defer l.wg.Done(); h.run(feedCtx) }()
	defer func() { stopFeeds(); l.wg.Wait() }()
	tick := time.NewTicker(l.o.TickEvery)
	defer tick.Stop()
	for {
		l.tick()
		select {
		case <-ctx.Done():
			return l.drain(stopApplies)
		case u := <-l.ups:
			l.take(u)
			l.takeQueued()
		case r := <-l.done:
			l.finished(r)
		case ev := <-h.events:
			l.logEtcd(ev)
			if l.o.Hooks.Etcd != nil {
				l.o.Hooks.Etcd(ev.up, ev.since, ev.err)
			}
		case <-tick.C:
		case <-l.sched.timer():
			l.sched.fired()
		}
		l.startDue(applyCtx)
	}
}

func (l *Loop) tick() {
	if l.o.Hooks.Tick != nil {
		l.o.Hooks.Tick()
	}
}

// drain waits for running applies, at most Grace, then abandons them.
func (l *Loop) drain(stop context.CancelFunc) error {
	deadline := time.NewTimer(l.o.Grace)
	defer deadline.Stop()
	tick := time.NewTicker(l.o.TickEvery)
	defer tick.Stop()
	for l.sched.busyCount() > 0 {
		l.tick() // the watchdog stays fed while an apply finishes
		select {
		case <-tick.C:
		case r := <-l.done:
			l.finished(r)
		case <-deadline.C:
			stop()
			l.o.Log.Warn("shutdown: an apply did not finish in time; abandoning it", "grace", l.o.Grace)
			return nil
		case <-l.o.Abandon:
			stop()
			l.o.Log.Warn("shutdown: abandoning the running apply; the next start redoes it")
			return nil
		}
	}
	return nil
}

// take applies one directory update to its tree and marks the groups that
// read the directory.
func (l *Loop) take(u update) {
	t, ok := l.trees[u.dir]
	if !ok {
		return
	}
	l.dirRev[u.dir] = max(l.dirRev[u.dir], u.rev)
	if u.progress {
		l.unchanged(u.dir)
		return
	}
	changed := false
	if u.reset {
		changed = !t.Same(u.pairs) || (l.errs[u.dir] != nil) != (u.err != nil)
		t.Reset(u.pairs)
		l.errs[u.dir] = u.err
	} else {
		for _, e := range u.events {
			if e.del {
				changed = t.Delete(e.key) || changed
			} else {
				changed = t.Put(e.key, e.value) || changed
			}
		}
	}
	if u.rev > l.rev {
		l.rev = u.rev
	}
	first := !l.synced[u.dir]
	l.synced[u.dir] = true
	if l.o.Hooks.Changed != nil && !u.reset {
		puts, dels := u.counts()
		l.o.Hooks.Changed(u.dir, u.rev, puts, dels)
	}
	if first && len(l.synced) == len(l.trees) && l.o.Hooks.Synced != nil {
		l.o.Hooks.Synced(l.rev)
	}
	if changed || first {
		l.sched.markDir(u.dir, time.Now(), u.rev)
		return
	}
	l.unchanged(u.dir)
}

// unchanged runs the Current hook for dir, known current through its
// revision with no change to apply, when its groups are settled.
func (l *Loop) unchanged(dir string) {
	if l.o.Hooks.Current != nil && l.synced[dir] && l.errs[dir] == nil && l.sched.settled(dir) {
		l.o.Hooks.Current(dir, l.dirRev[dir])
	}
}

// current reports whether every directory of a group is known current
// through rev, so a render sees one revision across all of them. Poll mode
// lists directories one by one and has no such guarantee to wait for.
func (l *Loop) current(dirs []string, rev int64) bool {
	if l.o.Poll > 0 {
		return true
	}
	for _, d := range dirs {
		if l.dirRev[d] < rev && l.errs[d] == nil { // an unreadable directory is not watched
			return false
		}
	}
	return true
}

// requestProgress asks every directory watch to request progress on its own
// stream (clientv3 sends a progress request on the stream its context's
// metadata names, and each watch has a stream of its own); the answers arrive
// as progress updates. It never blocks.
func (l *Loop) requestProgress() {
	for _, n := range l.nudges {
		select {
		case n <- struct{}{}:
		default:
		}
	}
}

// takeQueued takes every update already waiting, so that one render covers
// a burst, and a transaction that touched several directories of a group is
// usually seen whole.
func (l *Loop) takeQueued() {
	for {
		select {
		case u := <-l.ups:
			l.take(u)
		default:
			return
		}
	}
}

// startDue renders and hands to its worker every group whose time has come.
func (l *Loop) startDue(ctx context.Context) {
	if len(l.synced) < len(l.trees) {
		return
	}
	due, wait := l.sched.due(time.Now(), l.current)
	if wait {
		l.requestProgress()
	}
	for _, g := range due {
		rs := l.o.Engine.GroupOf(g)
		cands := make([]engine.Candidate, len(rs))
		t0 := time.Now()
		for i, r := range rs {
			cands[i] = l.o.Engine.Prepare(r, l)
		}
		l.o.Log.Debug("rendered", "group", g, "revision", l.rev, "took", time.Since(t0))
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			t0 := time.Now()
			sts := l.o.Engine.ApplyCandidates(ctx, g, cands)
			l.done <- result{group: g, sts: sts, took: time.Since(t0)}
		}()
	}
}

func (l *Loop) finished(r result) {
	l.sched.finished(r.group, r.sts, time.Now())
	if l.o.Hooks.Applied != nil {
		l.o.Hooks.Applied(r.group, r.sts, r.took)
	}
}

// feed lists every directory at one revision, then watches each (or polls).
func (l *Loop) feed(ctx context.Context) {
	bo := backoff.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	dirs := l.o.Engine.Dirs()
	var snap *etcd.Snapshot
	last := ""
	for {
		rctx, cancel := context.WithTimeout(ctx, l.o.RequestTimeout)
		s, err := etcd.Read(rctx, l.o.Client, dirs)
		cancel()
		if err == nil {
			snap = s
			break
		}
		if msg := err.Error(); msg != last && ctx.Err() == nil {
			last = msg // once per distinct error, not per retry
			l.o.Log.Warn("cannot list the directories yet; retrying", "dirs", dirs, "err", err)
		}
		if !backoff.Sleep(ctx, bo.Next()) {
			return
		}
	}
	for _, d := range dirs {
		select {
		case l.ups <- update{dir: d, rev: snap.Revision, reset: true, pairs: snap.Pairs(d), err: snap.Err(d)}:
		case <-ctx.Done():
			return
		}
	}
	if l.o.Poll > 0 {
		l.poll(ctx, dirs)
		return
	}
	var wg sync.WaitGroup
	for i, d := range dirs {
		w := &dirWatcher{cli: l.o.Client, dir: d, log: l.o.Log, out: l.ups, rt: l.o.RequestTimeout,
			members: l.o.Members, nudge: l.nudges[i], stalls: l.stalls}
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx, snap.Revision) }()
	}
	wg.Wait()
}

// poll re-lists every directory every Poll (confd's -interval mode).
func (l *Loop) poll(ctx context.Context, dirs []string) {
	for backoff.Sleep(ctx, l.o.Poll) {
		for _, d := range dirs {
			w := &dirWatcher{cli: l.o.Client, dir: d, log: l.o.Log, out: l.ups, rt: l.o.RequestTimeout}
			if _, err := w.list(ctx); err != nil {
				l.o.Log.Debug("poll failed", "dir", d, "err", err)
			}
		}
	}
}

func (l *Loop) logEtcd(ev healthEvent) {
	if ev.up && ev.err != nil {
		l.o.Log.Warn("etcd degraded", "endpoints", l.o.Client.Endpoints(), "detail", ev.detail)
		return
	}
	if ev.up {
		l.o.Log.Info("etcd reachable", "endpoints", l.o.Client.Endpoints())
		return
	}
	l.o.Log.Warn("etcd unreachable: keeping the last good files", "endpoints", l.o.Client.Endpoints(), "err", ev.err)
}
