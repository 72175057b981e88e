package watch

import (
	"time"

	"github.com/confwatch/confwatch/agent/backoff"
	"github.com/confwatch/confwatch/agent/engine"
)

// scheduler decides when each reload group renders and applies:
//   - the first change after a quiet period starts at once;
//   - changes during a running apply are merged and start when it ends;
//   - min_reload_interval (the reload budget; 1s by default for resources
//     with a reload) spaces applies, merging what arrives between them;
//   - wait = "min:max" waits for min of quiet, at most max after the first change;
//   - a failed apply is retried with backoff (1s doubling to 1m, no jitter)
//     until it succeeds or the data changes.
//
// The final state is never dropped: a dirty group always has a due time.
type scheduler struct {
	groups map[string]*gstate
	byDir  map[string][]string // dir -> groups reading it
	t      *time.Timer
	tAt    time.Time
}

type gstate struct {
	dirs             []string
	needRev          int64     // the newest revision that dirtied the group
	holdUntil        time.Time // waiting for the other directories to catch up, at most until then
	minInterval      time.Duration
	waitMin, waitMax time.Duration
	dirty, busy      bool
	firstDirty       time.Time
	lastDirty        time.Time
	lastStart        time.Time
	retryAt          time.Time
	failures         int
}

func newScheduler(e *engine.Engine) *scheduler {
	s := &scheduler{groups: map[string]*gstate{}, byDir: map[string][]string{}}
	for _, g := range e.Groups() {
		st := &gstate{}
		seen := map[string]bool{}
		for _, r := range e.GroupOf(g) {
			st.minInterval = max(st.minInterval, r.MinInterval)
			st.waitMin, st.waitMax = max(st.waitMin, r.WaitMin), max(st.waitMax, r.WaitMax)
			for _, d := range r.Dirs {
				if !seen[d] {
					seen[d] = true
					s.byDir[d] = append(s.byDir[d], g)
					st.dirs = append(st.dirs, d)
				}
			}
		}
		s.groups[g] = st
	}
	return s
}

// markDir records that dir changed at now, at revision rev.
func (s *scheduler) markDir(dir string, now time.Time, rev int64) {
	for _, g := range s.byDir[dir] {
		st := s.groups[g]
		st.needRev = max(st.needRev, rev)
		if !st.dirty {
			st.firstDirty = now
		}
		st.dirty, st.lastDirty = true, now
		st.retryAt = time.Time{} // new data: no need to wait out a retry backoff
	}
}

// dueAt is the earliest time the dirty group g may start.
func (st *gstate) dueAt() time.Time {
	at := st.firstDirty
	if st.waitMin > 0 {
		at = st.lastDirty.Add(st.waitMin)
		if lim := st.firstDirty.Add(st.waitMax); st.waitMax > 0 && lim.Before(at) {
			at = lim
		}
	}
	if !st.lastStart.IsZero() && st.minInterval > 0 {
		if next := st.lastStart.Add(st.minInterval); next.After(at) {
			at = next
		}
	}
	if st.retryAt.After(at) {
		at = st.retryAt
	}
	return at
}

// maxHold bounds how long a group reading several directories waits for the
// others to catch up with the revision that changed one of them.
const maxHold = 500 * time.Millisecond

// due returns the groups to start now, marks them busy, and arms the timer
// for the next one. A group whose directories are not all current through
// the revision that dirtied it (current reports that) waits for them, at
// most maxHold; wait says a progress request would help.
func (s *scheduler) due(now time.Time, current func(dirs []string, rev int64) bool) (out []string, wait bool) {
	var next time.Time
	later := func(at time.Time) {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	for g, st := range s.groups {
		if !st.dirty || st.busy {
			continue
		}
		at := st.dueAt()
		if at.After(now) {
			later(at)
			continue
		}
		if len(st.dirs) > 1 && current != nil && !current(st.dirs, st.needRev) {
			if st.holdUntil.IsZero() {
				st.holdUntil, wait = now.Add(maxHold), true
			}
			if now.Before(st.holdUntil) {
				later(st.holdUntil)
				continue
			}
		}
		st.dirty, st.busy, st.lastStart, st.holdUntil = false, true, now, time.Time{}
		out = append(out, g)
	}
	s.arm(next, now)
	return out, wait
}

func (s *scheduler) arm(at, now time.Time) {
	if at.IsZero() {
		return
	}
	if s.t != nil && s.tAt.Equal(at) {
		return
	}
	if s.t != nil {
		s.t.Stop()
	}
	s.t, s.tAt = time.NewTimer(at.Sub(now)), at
}

// timer is the channel of the next due time (nil: none armed).
func (s *scheduler) timer() <-chan time.Time {
	if s.t == nil {
		return nil
	}
	return s.t.C
}

// finished records the end of g's apply; failed applies are retried with
// backoff (refusals and render errors wait for new data).
func (s *scheduler) finished(g string, sts []engine.Result, now time.Time) {
	st := s.groups[g]
	st.busy = false
	retry := false
	for _, x := range sts {
		if x.Outcome == engine.OutcomeFailed && x.Stage != "" {
			retry = true
		}
	}
	if !retry {
		st.failures = 0
		return
	}
	st.failures++
	d := backoff.Backoff{Min: time.Second, Max: time.Minute}.Step(st.failures - 1)
	if st.dirty {
		return // new data arrived meanwhile: apply it, no need to wait
	}
	st.dirty, st.firstDirty, st.lastDirty = true, now, now
	st.retryAt = now.Add(d)
}

// fired is called when the timer's channel delivered.
func (s *scheduler) fired() { s.t, s.tAt = nil, time.Time{} }

// settled reports whether no group reading dir is dirty or busy: each one's
// last apply (or refusal) stands for the directory's current tree.
func (s *scheduler) settled(dir string) bool {
	for _, g := range s.byDir[dir] {
		if st := s.groups[g]; st.dirty || st.busy {
			return false
		}
	}
	return true
}

func (s *scheduler) busyCount() int {
	n := 0
	for _, st := range s.groups {
		if st.busy {
			n++
		}
	}
	return n
}
