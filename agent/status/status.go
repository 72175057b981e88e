// Package status is the agent's one record of how it is doing: the latest
// engine.Result of each resource, etcd reachability and the revision applied.
// It folds them into the one-line STATUS= systemd shows, decides when the
// agent is ready, and is what /metrics reports (see package metrics). Pure:
// the caller feeds it and sends the results. (What was last applied, kept on
// disk, is package state's record.)
package status

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

// Ready policies (ready_when).
const (
	ReadyApplied     = "applied"      // every resource applied (or already up to date)
	ReadyDestPresent = "dest-present" // ...or kept its previous good file (refused or failed)
)

// Tracker is the record. The zero value is not usable; use New. It is not
// safe for concurrent use.
type Tracker struct {
	readyWhen   string
	res         map[string]engine.Result
	okAt        map[string]time.Time // when each resource was last found or made up to date
	order       []string
	etcdUp      bool
	etcdKnown   bool
	etcdSince   time.Time
	etcdErr     error
	synced      bool
	carried     bool // took over from a replaced configuration's record (Carry)
	revision    int64
	lastApplied time.Time
	note        string          // e.g. a rejected configuration reload
	holds       map[string]hold // reload groups held by max_draining, by group
}

// New tracks the named resources under the ready_when policy.
func New(readyWhen string, names []string) *Tracker {
	t := &Tracker{readyWhen: readyWhen, res: map[string]engine.Result{}, okAt: map[string]time.Time{}}
	t.order = append(t.order, names...)
	return t
}

// Carry takes over from prev, the record of the configuration a reload
// replaced: etcd reachability, the revision applied and, for the resources
// still tracked, their latest results. The first sync is still to come
// (Settling), but Line goes on showing the revision applied.
func (t *Tracker) Carry(prev *Tracker) {
	t.carried = prev.synced || prev.carried
	t.etcdKnown, t.etcdUp, t.etcdSince, t.etcdErr = prev.etcdKnown, prev.etcdUp, prev.etcdSince, prev.etcdErr
	t.revision, t.lastApplied = prev.revision, prev.lastApplied
	for _, n := range t.order {
		if r, ok := prev.res[n]; ok {
			t.res[n] = r
		}
		if at, ok := prev.okAt[n]; ok {
			t.okAt[n] = at
		}
	}
}

// Resource records the latest result of one resource.
func (t *Tracker) Resource(s engine.Result) {
	t.res[s.Name] = s
	if s.Revision > t.revision && s.OK() {
		t.revision = s.Revision
	}
	if s.OK() {
		t.okAt[s.Name] = time.Now()
	}
	if s.Outcome == engine.OutcomeApplied {
		t.lastApplied = time.Now()
	}
}

// Revision is the etcd revision of the newest render found or made up to
// date (0 before the first).
func (t *Tracker) Revision() int64 { return t.revision }

// EtcdUp reports whether etcd answered last.
func (t *Tracker) EtcdUp() bool { return t.etcdUp }

// LastOK returns, per resource, when it was last found or made up to date
// (a copy; resources never up to date are missing).
func (t *Tracker) LastOK() map[string]time.Time {
	out := make(map[string]time.Time, len(t.okAt))
	for n, at := range t.okAt {
		out[n] = at
	}
	return out
}

// Etcd records reachability; with up, a non-nil err says what is degraded
// (a member not answering, a stalled watch) and shows in the line.
func (t *Tracker) Etcd(up bool, since time.Time, err error) {
	t.etcdKnown, t.etcdUp, t.etcdSince, t.etcdErr = true, up, since, err
}

// EtcdKnown reports whether reachability was recorded yet.
func (t *Tracker) EtcdKnown() bool { return t.etcdKnown }

// Synced records that the cache holds every directory. The read that filled
// it is an answer from etcd: before the first probe has reported, that is
// what reachability says (not "not yet reached" beside a rendered revision).
func (t *Tracker) Synced() {
	t.synced = true
	if !t.etcdKnown {
		t.Etcd(true, time.Now(), nil)
	}
}

// Note sets (or clears, with "") a message shown first, such as a rejected
// configuration reload.
func (t *Tracker) Note(s string) { t.note = s }

// Settling reports whether the agent is still getting to its first answer:
// the first sync, or a resource with no outcome yet. Past that, a resource
// that keeps failing is an answer too, and start-up timeouts should apply.
func (t *Tracker) Settling() bool {
	if !t.synced {
		return true
	}
	for _, n := range t.order {
		if s, ok := t.res[n]; !ok || s.Outcome == engine.OutcomePending {
			return true
		}
	}
	return false
}

// Ready reports whether every resource is where ready_when wants it.
func (t *Tracker) Ready() bool {
	for _, n := range t.order {
		s, ok := t.res[n]
		if !ok {
			return false
		}
		if s.OK() {
			continue
		}
		kept := s.DestExists && (s.Outcome == engine.OutcomeRefused || s.Outcome == engine.OutcomeFailed)
		if t.readyWhen == ReadyDestPresent && kept {
			continue
		}
		return false
	}
	return true
}

// Line is the STATUS= text, e.g.
// "rev 1234 · 2 ok, 1 refused (nginx: refused: /services/apache/ empty) · etcd ok · applied 3s ago";
// "nothing applied yet" instead of the revision until a render was applied.
func (t *Tracker) Line(now time.Time) string {
	var parts []string
	if t.note != "" {
		parts = append(parts, t.note)
	}
	switch {
	case !t.synced && !t.carried:
		parts = append(parts, "waiting for the first etcd sync")
	case t.revision == 0: // no render applied or found up to date yet (the first apply failed)
		parts = append(parts, "nothing applied yet")
	default:
		parts = append(parts, fmt.Sprintf("rev %d", t.revision))
	}
	parts = append(parts, t.resources())
	if h := t.holdsPart(now); h != "" {
		parts = append(parts, h)
	}
	parts = append(parts, t.etcd(now))
	if !t.lastApplied.IsZero() {
		parts = append(parts, "applied "+age(now.Sub(t.lastApplied))+" ago")
	}
	return strings.Join(parts, " · ")
}

func (t *Tracker) resources() string {
	counts := map[string]int{}
	var problems []string
	for _, n := range t.order {
		s, ok := t.res[n]
		switch {
		case !ok || s.Outcome == engine.OutcomePending:
			counts["pending"]++
		case s.OK():
			counts["ok"]++
		case s.Outcome == engine.OutcomeRefused:
			counts["refused"]++
			problems = append(problems, fmt.Sprintf("%s: %v", n, s.Err))
		default:
			counts["failing"]++
			problems = append(problems, fmt.Sprintf("%s: %s", n, short(s.Err)))
		}
	}
	var cs []string
	for _, k := range []string{"ok", "refused", "failing", "pending"} {
		if counts[k] > 0 {
			cs = append(cs, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	sort.Strings(problems)
	out := strings.Join(cs, ", ")
	if len(problems) > 0 {
		out += " (" + strings.Join(problems, "; ") + ")"
	}
	return out
}

func (t *Tracker) etcd(now time.Time) string {
	switch {
	case !t.etcdKnown:
		return "etcd not yet reached"
	case t.etcdUp && t.etcdErr != nil:
		return "etcd degraded since " + t.etcdSince.Format("15:04:05") + " (" + t.etcdErr.Error() + ")"
	case t.etcdUp:
		return "etcd ok"
	default:
		return fmt.Sprintf("etcd unreachable since %s (%s ago)", t.etcdSince.Format("15:04:05"), age(now.Sub(t.etcdSince)))
	}
}

func short(err error) string {
	if err == nil {
		return "failed"
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	default:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
