package register

import (
	"fmt"
	"time"
)

// drain waits Options.Drain after the drain barrier (or, without one, after
// the stop revoked the lease), so that load balancers see the key gone,
// re-render and reload, and their old workers finish the requests in flight
// to the backend (nginx's reload returns before they have), before systemd
// stops the backend. It waits only when the key was registered at the stop (else there
// is nothing to drain, and a wait would only delay the backend's restart),
// sends STATUS= first, and returns as soon as Options.CutDrain is closed.
func (r *runner) drain() {
	d, log := r.o.Drain, r.o.Log
	switch {
	case d <= 0:
		return
	case !r.heldAtStop:
		log.Info("not registered when stopped: no drain")
		return
	}
	d = d.Round(time.Millisecond)
	status := fmt.Sprintf("deregistered; draining %s before exit", d)
	log.Info(status)
	if r.o.Notify != nil {
		if err := r.o.Notify.Status(status); err != nil {
			log.Warn("sd_notify", "err", err)
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.o.CutDrain:
		log.Info("drain cut short by a second signal")
	}
}
