package register

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/confwatch/confwatch/agent/ack"
)

// barrier waits, after a stop revoked the lease, until every load balancer
// announcing under Options.AckPrefix for a directory holding the key has
// applied the revision of the deletion (package ack), at most
// Options.DrainTimeout or until Options.CutDrain is closed. It follows a
// watch of the prefix, so a load balancer whose lease expires drops out at
// once. STATUS= says whom it waits for. It does nothing when the barrier is
// off, the key was not registered at the stop, or the deletion's revision is
// unknown (the revoke failed, or found the lease gone).
func (r *runner) barrier() {
	log := r.log
	switch {
	case r.o.AckPrefix == "":
		return
	case !r.heldAtStop:
		return
	case r.stopRev == 0:
		log.Warn("drain barrier skipped: the revision of the key's deletion is unknown")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.o.DrainTimeout)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		select {
		case <-r.o.CutDrain:
			cancel()
		case <-ctx.Done():
		}
	})
	t0, last := time.Now(), ""
	var w ack.Wait
	err := ack.Follow(ctx, r.cli, r.o.AckPrefix, func(es map[string]ack.Entry) bool {
		w = ack.Progress(es, r.o.Key, r.stopRev)
		if line := w.String(); line != last {
			last = line
			r.status("deregistered; " + line)
		}
		return w.Done()
	})
	r.waited = time.Since(t0)
	took := r.waited.Round(time.Millisecond)
	switch {
	case err == nil:
		log.Info("drain barrier: every load balancer reached the deletion", "revision", r.stopRev,
			"load_balancers", w.Total, "took", took)
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("drain barrier timed out; stopping anyway", "timeout", r.o.DrainTimeout, "status", last)
	default:
		log.Info("drain barrier cut short by a second signal", "status", last)
	}
}

// status sends one STATUS= line.
func (r *runner) status(line string) {
	if r.o.Notify == nil {
		return
	}
	if err := r.o.Notify.Status(line); err != nil {
		r.log.Warn("sd_notify", "err", err)
	}
}
