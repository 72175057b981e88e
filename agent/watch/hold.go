package watch

import "time"

// holdPoll is how often a held group looks at its unit again.
const holdPoll = 500 * time.Millisecond

// holdState is a group's reload hold (max_draining, max_hold): while more
// than maxDraining old generations of the unit's workers drain, a due apply
// waits, at most maxHold from the first look that held it; then it starts
// anyway. The first apply of a loop is never held (READY=1 waits for it),
// and nothing is dropped: a held group stays dirty.
type holdState struct {
	unit        string
	maxDraining int // 0: no hold
	maxHold     time.Duration
	draining    int       // generations seen at the last look
	since       time.Time // when the current hold began; zero: not held
	expired     bool      // the last hold ended at maxHold, not by the drain
	reported    int       // draining as last reported while held (0: nothing yet)
}

// Hold is a group's hold as the loop reports it (Hooks.Held).
type Hold struct {
	Unit        string
	Draining    int       // old generations draining at the last look
	MaxDraining int       // max_draining
	Since       time.Time // zero: not held (any more)
	Held        time.Duration
	Expired     bool // released at max_hold with Draining > MaxDraining
}

// held reports whether g, due at now, waits for its unit to drain; count
// looks at the unit (nil: no hold). When it waits, next is when to look again.
func (h *holdState) held(now time.Time, first bool, count func(unit string) int) (wait bool, next time.Time) {
	if h.maxDraining <= 0 || count == nil || first {
		return false, time.Time{}
	}
	h.draining = count(h.unit)
	h.expired = false
	if h.draining > h.maxDraining {
		if h.since.IsZero() {
			h.since = now
		}
		until := h.since.Add(h.maxHold)
		if now.Before(until) {
			return true, minTime(now.Add(holdPoll), until)
		}
		h.expired = true
	}
	return false, time.Time{}
}

// report returns the hold to report after a look that held the group, and
// whether it differs from the last one reported.
func (h *holdState) report() (Hold, bool) {
	if h.reported == h.draining {
		return Hold{}, false
	}
	h.reported = h.draining
	return Hold{Unit: h.unit, Draining: h.draining, MaxDraining: h.maxDraining, Since: h.since}, true
}

// release ends a hold at now; ok is false when there was none.
func (h *holdState) release(now time.Time) (Hold, bool) {
	if h.since.IsZero() {
		return Hold{}, false
	}
	out := Hold{Unit: h.unit, Draining: h.draining, MaxDraining: h.maxDraining, Held: now.Sub(h.since), Expired: h.expired}
	h.since, h.reported = time.Time{}, 0
	return out, true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// add folds one resource of the group into the hold: the smallest positive
// max_draining and the longest max_hold of its resources (they share one
// reload_unit).
func (h *holdState) add(unit string, maxDraining int, maxHold time.Duration) {
	if maxDraining <= 0 {
		return
	}
	h.unit = unit
	if h.maxDraining == 0 || maxDraining < h.maxDraining {
		h.maxDraining = maxDraining
	}
	h.maxHold = max(h.maxHold, maxHold)
}
