package register

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
	"github.com/confwatch/confwatch/agent/etcd"
)

// runner is the state of one Run. Only Run's goroutine touches it; the
// watch and the checks run in goroutines of their own and send to it.
type runner struct {
	cli *clientv3.Client
	o   Options
	log *slog.Logger

	gate    Gate
	checked bool   // a check result has been acted on
	want    bool   // healthy (always, without a Check)
	why     string // why the key is not wanted: the failing check

	lease    clientv3.LeaseID // 0: none
	ttl      int64            // granted TTL, seconds
	terms    *terms           // the raft terms of the grant and of the answers since (rotate.go)
	retiring []retired        // leases the key is moving off, kept alive until a put under lease succeeds
	ka       <-chan struct{}  // closed when the lease is lost
	kaStop   context.CancelFunc
	intact   bool      // KEY=VALUE is believed in place under lease
	sent     bool      // a put under lease was sent: the key may be visible, even when its answer was lost
	putRev   int64     // revision of the last put; older events are stale
	pos      *position // where the key watch stands; every response header is reported to it

	bo    backoff.Backoff
	retry <-chan time.Time // pending retry; nil when none

	reported, registered, readySent bool
	reason                          string
	heldAtStop                      bool          // registered (or a put sent) when ctx ended: a drain is due
	stopRev                         int64         // revision of the stop's revoke, which deleted the key (0: unknown)
	waited                          time.Duration // how long the drain barrier waited (logged)
	graceLogged                     bool          // the first failure within the start grace was logged
}

func newRunner(cli *clientv3.Client, o Options) *runner {
	return &runner{
		cli: cli, o: o, log: o.Log.With("key", o.Key),
		gate:  Gate{Rise: o.Rise, Fall: o.Fall},
		want:  o.Check == nil,
		bo:    backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second},
		pos:   newPosition(),
		terms: newTerms(),
	}
}

// run is Run's loop: it acts on one event at a time, then brings etcd in
// line with what is wanted (sync).
func (r *runner) run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The prober keeps the client's endpoints to members that answer, so a
	// grant, put or keep-alive retried after a timeout goes elsewhere.
	members := etcd.NewMembers(r.cli, etcd.MemberOptions{})
	wg.Go(func() { members.Run(gctx) })
	events := make(chan []*clientv3.Event)
	wg.Go(func() { watchKey(gctx, r.cli, r.o.Key, r.pos, events, r.log) })
	up := make(chan struct{}, 1)
	if conn := r.cli.ActiveConnection(); conn != nil {
		wg.Go(func() { keepConnected(gctx, conn, up) })
	}
	var checks chan result
	if r.o.Check != nil {
		checks = make(chan result)
		wg.Go(func() { checkLoop(gctx, r.o.Check, r.o.Interval, r.o.StartGrace, checks) })
	}
	for {
		if err := r.sync(ctx); err != nil {
			r.dropLease()
			r.dropRetiring()
			r.report(false, err.Error())
			return err
		}
		if r.checked {
			r.ready()
		}
		select {
		case <-ctx.Done():
			r.stop()
			return nil
		case res := <-checks:
			r.onCheck(res)
		case evs := <-events:
			r.onEvents(evs)
		case _, ok := <-r.ka:
			if !ok {
				r.onLeaseLost()
			}
		case <-r.terms.rose: // an election: sync moves the key to a new lease
		case <-r.retry:
			r.retry = nil
		case <-up:
			r.retry = nil // etcd is back: retry now
			r.pos.Check() // and it may be another etcd, or one restored from a backup
		}
	}
}

// onCheck feeds one check result to the gate; a failure within the start
// grace only shows in STATUS= (logged once): the gate counts from the first
// answer, or from the first failure after the grace.
func (r *runner) onCheck(res result) {
	err := res.err
	r.checked = true
	if res.starting {
		if !r.graceLogged {
			r.graceLogged = true
			r.log.Info("backend not answering yet; checking every 200ms during the start grace", "grace", r.o.StartGrace, "err", err)
		}
		r.why = "starting: " + err.Error()
		return
	}
	healthy, changed := r.gate.Observe(err == nil)
	if err != nil {
		r.why = "unhealthy: " + err.Error() // the latest failure, for STATUS=
	}
	switch {
	case changed && healthy:
		r.log.Info("backend healthy")
	case changed:
		r.log.Warn("backend unhealthy", "err", err)
	case err != nil && healthy:
		r.log.Info("check failed", "err", err, "fall", r.o.Fall)
	case err == nil && !healthy:
		r.log.Debug("check passed", "rise", r.o.Rise)
	}
	r.want = healthy
}

// onEvents notices deletes and foreign puts of the key; nil (events may
// have been missed) makes the next sync put the key again.
func (r *runner) onEvents(evs []*clientv3.Event) {
	if evs == nil {
		r.intact = false
		return
	}
	for _, ev := range evs {
		if !r.intact || ev.Kv.ModRevision <= r.putRev {
			continue // not registered, or older than our put
		}
		if ev.Type == mvccpb.PUT && string(ev.Kv.Value) == r.o.Value && clientv3.LeaseID(ev.Kv.Lease) == r.lease {
			continue
		}
		reason := "key deleted"
		if ev.Type == mvccpb.PUT {
			reason = "key overwritten"
		}
		r.intact = false
		r.log.Warn(reason+", restoring it", "revision", ev.Kv.ModRevision)
		r.report(false, reason)
	}
}

// onLeaseLost handles the keep-alive channel closing: the lease expired,
// was revoked, or went unanswered for its TTL.
func (r *runner) onLeaseLost() {
	r.log.Warn("lease lost, registering again", "lease", hex(r.lease))
	r.dropLease()
	if !r.moving() { // else the key is still on the lease it moves off
		r.report(false, "lease lost")
	}
}

// sync revokes the lease when the key is not wanted, and registers when it
// is wanted and not in place, unless a retry is pending. Failures schedule a
// retry; the only error returned is the client being closed.
func (r *runner) sync(ctx context.Context) error {
	if !r.want {
		if r.lease != 0 {
			r.revoke(ctx, opTimeout)
		}
		r.revokeRetiring(ctx, time.Now().Add(opTimeout))
		if r.checked {
			r.report(false, r.why)
		}
		return nil
	}
	if r.staleLease() {
		r.retire()
	}
	if r.intact || r.retry != nil {
		return nil
	}
	err := r.ensure(ctx)
	switch {
	case err == nil:
		r.bo.Reset()
		r.report(true, fmt.Sprintf("lease %s, ttl %ds", hex(r.lease), r.ttl))
	case ctx.Err() != nil:
	case r.cli.Ctx().Err() != nil:
		return fmt.Errorf("register %s: etcd client closed: %w", r.o.Key, err)
	case r.moving(): // the key stays on the lease it moves off, kept alive
		r.log.Warn("moving the key to a new lease failed, retrying; it stays on the old one", "err", err)
		r.retry = time.After(r.bo.Next())
	default:
		if reason := "etcd: " + err.Error(); reason != r.reason {
			r.log.Warn("registration failed, retrying", "err", err)
			r.report(false, reason)
		}
		r.retry = time.After(r.bo.Next())
	}
	return nil
}

// stop revokes the lease, bounded by stopTimeout, so the key disappears now,
// and notes whether the key was registered until then, or may have been
// (a put in flight when ctx ended), for the barrier and the drain.
//
// Mid-rotation the key may be on the current lease or a retired one: all
// are revoked within one stopTimeout, and stopRev is the highest revision
// of those revokes when every one succeeded (the key is then gone there),
// else 0 (unknown).
func (r *runner) stop() {
	r.heldAtStop = r.registered || r.sent || r.moving()
	if n, ok := r.o.Notify.(interface{ Stopping() error }); ok {
		_ = n.Stopping()
	}
	if r.cli.Ctx().Err() == nil {
		deadline := time.Now().Add(stopTimeout)
		rev, ok := int64(0), true
		if r.lease != 0 {
			rev, ok = r.revoke(context.Background(), stopTimeout)
		}
		n, done := r.revokeRetiring(context.Background(), deadline)
		if ok && done {
			r.stopRev = max(rev, n)
		}
	}
	r.dropLease()
	r.dropRetiring()
	r.report(false, "stopped")
}
