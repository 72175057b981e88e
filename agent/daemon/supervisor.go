package daemon

import (
	"sync"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/metrics"
	"github.com/confwatch/confwatch/agent/status"
	"github.com/confwatch/confwatch/agent/watch"
	"github.com/confwatch/confwatch/sdnotify"
)

// supervisor tells systemd how the agent is doing: READY=1 once ready_when
// holds, STATUS= on every change, WATCHDOG=1 from the loop's own ticks, and
// EXTEND_TIMEOUT_USEC= while a reachable etcd is still being synced.
type supervisor struct {
	mu       sync.Mutex // hooks run on the loop goroutine, rejected on the signal one
	s        *Setup
	n        *sdnotify.Notifier
	m        *metrics.Metrics // nil without --listen
	t        *status.Tracker
	ready    bool
	lastDog  time.Time
	lastTick time.Time
	lastLine string
	etcdUp   bool
	early    bool // READY=1 was sent early (readyEarly); its note stays until ready_when holds
}

// newSupervisor reports the loop over s; prev is the supervisor of the loop
// a configuration reload replaced (nil at start), whose record it carries on.
func newSupervisor(s *Setup, n *sdnotify.Notifier, m *metrics.Metrics, prev *supervisor) *supervisor {
	var names []string
	for _, r := range s.Engine.Resources() {
		names = append(names, r.Name)
	}
	sv := &supervisor{s: s, n: n, m: m, t: status.New(s.ReadyWhen, names)}
	if prev != nil {
		prev.mu.Lock()
		sv.t.Carry(prev.t)
		sv.etcdUp, sv.lastTick = prev.etcdUp, prev.lastTick
		prev.mu.Unlock()
	}
	// After a configuration reload the files are already good: ready at once.
	sv.ready = prev != nil
	if sv.ready {
		sv.send(sdnotify.LineReady)
	}
	return sv
}

func (sv *supervisor) hooks() watch.Hooks {
	base := logHooks(sv.s)
	return watch.Hooks{
		Tick: sv.tick,
		Changed: func(dir string, rev int64, puts, dels int) {
			base.Changed(dir, rev, puts, dels)
			if sv.m != nil {
				sv.m.Changed()
			}
		},
		Synced: func(rev int64) {
			base.Synced(rev)
			sv.mu.Lock()
			defer sv.mu.Unlock()
			sv.t.Synced()
			sv.update()
		},
		Applied: func(g string, sts []engine.Result, took time.Duration) {
			base.Applied(g, sts, took)
			if sv.m != nil {
				sv.m.Applied(g, sts, took)
			}
			sv.mu.Lock()
			defer sv.mu.Unlock()
			for _, st := range sts {
				sv.t.Resource(st)
			}
			sv.update()
		},
		Held: func(g string, h watch.Hold) {
			if sv.m != nil {
				sv.m.Held(g, h.Draining, !h.Since.IsZero(), h.Held, h.Expired)
			}
			sv.mu.Lock()
			defer sv.mu.Unlock()
			sv.t.Held(g, h.Unit, h.Draining, h.MaxDraining, h.Since)
			sv.update()
		},
		Etcd: func(up bool, since time.Time, err error) {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			sv.etcdUp = up
			sv.t.Etcd(up, since, err)
			sv.update()
		},
	}
}

// tick runs on every loop iteration: the watchdog ping, start-up timeout
// extension, and a refreshed status line (for the "applied Ns ago" part).
func (sv *supervisor) tick() {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.tickLocked()
}

func (sv *supervisor) tickLocked() {
	now := time.Now()
	if iv := sv.n.WatchdogInterval(); iv > 0 && now.Sub(sv.lastDog) >= iv/2 {
		sv.lastDog = now
		_ = sv.n.Watchdog()
	}
	// A slow first sync or first apply extends the start timeout; an
	// unreachable etcd or a resource that keeps failing does not.
	if !sv.ready && sv.etcdUp && sv.t.Settling() {
		_ = sv.n.ExtendTimeout(10 * time.Second)
	}
	sv.update()
	sv.lastTick = now
}

// report is the record as /metrics and /healthz show it.
func (sv *supervisor) report() metrics.Report {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	res, etcd := sv.t.Details()
	return metrics.Report{Ready: sv.ready, Line: sv.lastLine, Tick: sv.lastTick, EtcdUp: sv.t.EtcdUp(),
		Revision: sv.t.Revision(), LastOK: sv.t.LastOK(), Resources: res, Etcd: etcd}
}

func (sv *supervisor) update() {
	if sv.early && sv.t.Ready() {
		sv.early = false
		sv.t.Note("")
	}
	line := sv.t.Line(time.Now())
	lines := []string{}
	if line != sv.lastLine {
		sv.lastLine = line
		lines = append(lines, sdnotify.StatusLine(line))
	}
	if !sv.ready && sv.t.Ready() {
		sv.ready = true
		lines = append(lines, sdnotify.LineReady)
		sv.s.Log.Info("ready", "status", line)
	}
	sv.send(lines...)
}

// waiting reports etcd unreachable while the client cannot be built, and
// keeps the watchdog fed: waiting for etcd is not a wedged loop.
func (sv *supervisor) waiting(err error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.etcdUp || !sv.t.EtcdKnown() {
		sv.s.Log.Warn("etcd unreachable: keeping the last good files", "endpoints", sv.s.Etcd.Endpoints, "err", err)
		sv.etcdUp = false
		sv.t.Etcd(false, time.Now(), err)
	}
	sv.tickLocked()
}

// rejected shows a failed configuration reload and ends the reload state.
func (sv *supervisor) rejected(err error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.t.Note("configuration reload rejected: " + firstLine(err.Error()))
	sv.lastLine = sv.t.Line(time.Now())
	sv.send(sdnotify.LineReady, sdnotify.StatusLine(sv.lastLine))
}

func (sv *supervisor) send(lines ...string) {
	if len(lines) == 0 {
		return
	}
	if err := sv.n.Send(lines...); err != nil {
		sv.s.Log.Warn("sd_notify failed", "err", err)
	}
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
