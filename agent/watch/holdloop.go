package watch

import (
	"context"
	"fmt"
	"time"
)

// countTimeout bounds one look at a unit (the first one asks systemd for
// its cgroup over D-Bus).
const countTimeout = 2 * time.Second

// countDraining is the scheduler's counter over Options.Drain. A unit that
// cannot be counted counts nothing (the reload is not held); each distinct
// problem is logged once per unit.
func (l *Loop) countDraining(unit string) int {
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()
	c, err := l.o.Drain.Count(ctx, unit)
	problem := ""
	switch {
	case err != nil:
		problem = err.Error()
	case c.Unseen > 1: // more than a process exiting between two reads
		problem = fmt.Sprintf("%d of %s's processes are not visible in /proc (ProtectProc=invisible with a User= outside group 0?): the reload hold cannot count them", c.Unseen, unit)
	}
	if problem != "" && l.drainLog[unit] != problem {
		l.o.Log.Warn("reload hold: cannot count draining workers", "unit", unit, "err", problem)
	}
	if l.drainLog == nil {
		l.drainLog = map[string]string{}
	}
	l.drainLog[unit] = problem
	return c.Generations
}

// held logs a hold change and passes it to Hooks.Held.
func (l *Loop) held(group string, h Hold) {
	switch {
	case !h.Since.IsZero():
		l.o.Log.Info("reload held: old worker generations draining", "group", group, "unit", h.Unit,
			"draining", h.Draining, "max_draining", h.MaxDraining)
	case h.Expired:
		l.o.Log.Warn("reload hold reached max_hold: applying anyway", "group", group, "unit", h.Unit,
			"draining", h.Draining, "max_draining", h.MaxDraining, "held", h.Held.Round(time.Millisecond))
	default:
		l.o.Log.Info("reload hold released", "group", group, "unit", h.Unit, "draining", h.Draining,
			"held", h.Held.Round(time.Millisecond))
	}
	if l.o.Hooks.Held != nil {
		l.o.Hooks.Held(group, h)
	}
}
