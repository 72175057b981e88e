package history

import (
	"sort"
	"time"
)

// Window is a span of time, [From, To).
type Window struct{ From, To time.Time }

// Lag is how long after revision Rev was committed the observed content
// first showed it or a later one.
type Lag struct {
	Rev int64
	At  time.Time // when the revision was committed (first heard of)
	Lag time.Duration
}

// Lags measures, for every revision after the first match, how long the
// observations took to catch up with it. A revision never caught up with
// is left out (Unseen counts them: at most the last few before the end).
// Time inside an excused window (the observed process stopped or killed on
// purpose) does not count: the clock starts again at the window's end.
func (ix *Index) Lags(ms []Match, excused []Window) (lags []Lag, unseen int) {
	if len(ms) == 0 {
		return nil, 0
	}
	j := 0
	for _, rev := range ix.order {
		if rev <= ms[0].Rev {
			continue
		}
		for j < len(ms) && ms[j].Rev < rev {
			j++
		}
		if j == len(ms) {
			unseen++
			continue
		}
		from := restart(ix.at[rev], ms[j].At, excused)
		lags = append(lags, Lag{Rev: rev, At: ix.at[rev], Lag: max(0, ms[j].At.Sub(from))})
	}
	return lags, unseen
}

// restart is from moved past every excused window that began before to and
// ends after from.
func restart(from, to time.Time, excused []Window) time.Time {
	ws := append([]Window(nil), excused...)
	sort.Slice(ws, func(i, k int) bool { return ws[i].From.Before(ws[k].From) })
	for _, w := range ws {
		if w.From.Before(to) && w.To.After(from) {
			from = w.To
		}
	}
	return from
}

// Worst is the largest lag among revisions committed inside w (all of them
// when w is zero).
func Worst(lags []Lag, w Window) (Lag, bool) {
	var out Lag
	found := false
	for _, l := range lags {
		if !w.From.IsZero() && (l.At.Before(w.From) || !l.At.Before(w.To)) {
			continue
		}
		if !found || l.Lag > out.Lag {
			out, found = l, true
		}
	}
	return out, found
}
