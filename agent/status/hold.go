package status

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// hold is one reload group's hold as the line shows it.
type hold struct {
	unit                  string
	draining, maxDraining int
	since                 time.Time
}

// Held records that group's reloads are held (since non-zero) while
// draining old worker generations of unit drain, more than maxDraining; a
// zero since clears it.
func (t *Tracker) Held(group, unit string, draining, maxDraining int, since time.Time) {
	if t.holds == nil {
		t.holds = map[string]hold{}
	}
	if since.IsZero() {
		delete(t.holds, group)
		return
	}
	t.holds[group] = hold{unit: unit, draining: draining, maxDraining: maxDraining, since: since}
}

// holdsPart is the line's part for the holds, e.g. "reload held: 5 old
// worker generations draining (nginx.service, max 2, 12s)"; "" when none.
func (t *Tracker) holdsPart(now time.Time) string {
	var parts []string
	for _, h := range t.holds {
		word := "generations"
		if h.draining == 1 {
			word = "generation"
		}
		parts = append(parts, fmt.Sprintf("reload held: %d old worker %s draining (%s, max %d, %s)",
			h.draining, word, h.unit, h.maxDraining, age(now.Sub(h.since))))
	}
	sort.Strings(parts)
	return strings.Join(parts, " · ")
}
