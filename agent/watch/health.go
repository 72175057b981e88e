package watch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/confwatch/confwatch/agent/etcd"
)

type healthEvent struct {
	up     bool
	since  time.Time
	err    error  // down: why; up: what is degraded (nil when nothing is)
	detail string // err's text, to compare rounds
}

// health reports the cluster as the member prober sees it, every
// HealthEvery and on transitions only, so a long outage is logged once: up
// while some member answers and knows a leader (a frozen member among live
// ones is not an outage), with the members not answering and the stalled
// watches as the degraded detail.
type health struct {
	o       Options
	members *etcd.Members
	stalls  *stallSet
	events  chan healthEvent
}

func (h *health) run(ctx context.Context) {
	known := false
	var last healthEvent
	t := time.NewTicker(h.o.HealthEvery / 4)
	defer t.Stop()
	for {
		if !h.members.Probed() { // nothing known yet: say nothing rather than "reachable"
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				return
			}
		}
		ev := h.take()
		// While down, a new reason is not a new outage: it is logged once.
		if !known || ev.up != last.up || (ev.up && ev.detail != last.detail) {
			if known && ev.up == last.up {
				ev.since = last.since
			}
			known, last = true, ev
			select {
			case h.events <- ev:
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// take reads the prober and the stalled watches.
func (h *health) take() healthEvent {
	mh := h.members.Health()
	ev := healthEvent{up: mh.Up, since: time.Now()}
	var parts []string
	if s := mh.String(); s != "" {
		parts = append(parts, s)
	}
	if dirs, since := h.stalls.oldest(); len(dirs) > 0 {
		parts = append(parts, fmt.Sprintf("watch of %s stalled since %s", strings.Join(dirs, ", "), since.Format("15:04:05")))
	}
	if len(parts) > 0 {
		ev.detail = strings.Join(parts, "; ")
	}
	switch {
	case !ev.up && ev.detail == "":
		ev.err = fmt.Errorf("%w: no member of %s knows a leader", etcd.ErrUnreachable, strings.Join(h.o.Client.Endpoints(), ","))
	case !ev.up:
		ev.err = fmt.Errorf("%w: %s", etcd.ErrUnreachable, ev.detail)
	case ev.detail != "":
		ev.err = errors.New(ev.detail) // up, but degraded: what is out
	}
	return ev
}
