package watch

import (
	"context"
	"time"

	"github.com/confwatch/confwatch/agent/etcd"
)

type healthEvent struct {
	up    bool
	since time.Time
	err   error
}

// health probes etcd every HealthEvery and reports transitions only, so a
// long outage is logged once, not once per retry.
type health struct {
	o      Options
	events chan healthEvent
}

func (h *health) run(ctx context.Context) {
	known, up := false, false
	t := time.NewTicker(h.o.HealthEvery)
	defer t.Stop()
	for {
		err := etcd.Probe(ctx, h.o.Client, h.o.HealthEvery)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// gRPC's reconnect backoff grows to two minutes; etcd coming back
			// should be noticed within a probe period instead.
			if conn := h.o.Client.ActiveConnection(); conn != nil {
				conn.ResetConnectBackoff()
			}
		}
		if now := (err == nil); !known || now != up {
			known, up = true, now
			select {
			case h.events <- healthEvent{up: up, since: time.Now(), err: err}:
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
