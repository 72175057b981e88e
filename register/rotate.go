package register

import (
	"context"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// A leader that stalls (a paused VM, a stopped process, a starved machine)
// and then resumes still counts every lease's expiry from the renewals it
// saw before the stall. For a moment after it wakes its lessor believes it
// leads while its raft already follows the new leader, and the revocations
// it proposes are forwarded and applied: every lease older than the stall
// is gone at once, though each was renewed through its successor
// (etcd-io/etcd#15247; the guard etcd 3.5 added skips a member whose
// ticker runs, as it does right after SIGSTOP). It cannot revoke a lease it
// never had as leader: one granted after it stalled reaches it only after
// it has stepped down.
//
// So when an answer shows a raft term above the one the lease was granted
// in (an election since), the key moves to a new lease: a grant and a put
// of the same value (the key stays present throughout), then the old lease
// is revoked. Until that put succeeds the old lease stays kept alive, since
// the key may still be on it.

// terms follows the raft terms of the answers since the lease's grant,
// fed from every response header (the keep-alive goroutines' too); rose
// wakes Run's loop when the lease turns stale.
//
// The lease is stale when an answer shows a term above the grant's (an
// election since), or below it: no member can answer a renewal, a grant or
// a put at a term lower than one a grant was committed in, so that is an
// etcd restored from a snapshot or replaced, whose own elections would
// otherwise go unseen until its terms passed the old ones. The highest term
// is never lowered by a grant (an election seen while the grant was in
// flight still counts), only by such a lower answer.
type terms struct {
	max   atomic.Uint64 // the highest term seen (since the last lower answer)
	base  atomic.Uint64 // the grant's term
	lower atomic.Bool   // an answer below base came since the grant
	rose  chan struct{}
}

func newTerms() *terms { return &terms{rose: make(chan struct{}, 1)} }

// see takes h's term into account. It never blocks; nil h is ignored.
func (t *terms) see(h *pb.ResponseHeader) {
	if h == nil || h.RaftTerm == 0 {
		return
	}
	if h.RaftTerm < t.base.Load() {
		t.max.Store(h.RaftTerm)
		t.lower.Store(true)
		t.wake()
		return
	}
	for {
		old := t.max.Load()
		if h.RaftTerm <= old {
			return
		}
		if t.max.CompareAndSwap(old, h.RaftTerm) {
			break
		}
	}
	t.wake()
}

func (t *terms) wake() {
	select {
	case t.rose <- struct{}{}:
	default:
	}
}

// granted records a grant answered in term.
func (t *terms) granted(term uint64) {
	t.base.Store(term)
	t.lower.Store(false)
	for {
		old := t.max.Load()
		if term <= old || t.max.CompareAndSwap(old, term) {
			return
		}
	}
}

// stale reports whether an election happened since the grant, or the etcd
// answering is not the one that granted it.
func (t *terms) stale() bool {
	return t.lower.Load() || t.max.Load() > t.base.Load()
}

// retired is a lease the key is moving off, with the stop of its
// keep-alive.
type retired struct {
	id   clientv3.LeaseID
	stop context.CancelFunc
}

// seen reports a response header to the watch's position and to terms.
func (r *runner) seen(h *pb.ResponseHeader) {
	r.pos.Seen(h)
	r.terms.see(h)
}

// staleLease reports whether an election happened since the lease was
// granted (or the etcd answering is another).
func (r *runner) staleLease() bool {
	return r.lease != 0 && r.terms.stale()
}

// retire moves the current lease aside, still kept alive while the key may
// be on it, so that the next sync grants a new one and puts the key under
// it. A lease no put was sent under (its put was refused) holds nothing: it
// is revoked instead of kept.
func (r *runner) retire() {
	r.log.Info("leader changed: moving the key to a new lease",
		"lease", hex(r.lease), "granted_in_term", r.terms.base.Load(), "term", r.terms.max.Load())
	id, keep := r.lease, r.sent || r.intact
	if keep {
		r.retiring = append(r.retiring, retired{id: id, stop: r.kaStop})
		r.kaStop = nil // its keep-alive goes on
	}
	r.dropLease()
	if !keep {
		r.revokeID(context.Background(), id, r.opBound(), "")
	}
}

// moving reports whether the key may still be on a retired lease: then a
// failure to move it does not make it unregistered.
func (r *runner) moving() bool { return len(r.retiring) > 0 }

// revokeRetiring stops keeping the retired leases alive and revokes them,
// all by deadline. It returns the highest revision of a revoke, and false
// when a revoke failed: the key may still be on that lease.
func (r *runner) revokeRetiring(ctx context.Context, deadline time.Time) (int64, bool) {
	ls := r.retiring
	r.dropRetiring()
	var rev int64
	ok := true
	for _, l := range ls {
		n, done := r.revokeID(ctx, l.id, time.Until(deadline), "revoke of a lease the key moved off failed: it expires after its TTL")
		rev, ok = max(rev, n), ok && done
	}
	return rev, ok
}

// dropRetiring stops keeping the retired leases alive, without a word to
// etcd (the client is closed).
func (r *runner) dropRetiring() {
	for _, l := range r.retiring {
		if l.stop != nil {
			l.stop()
		}
	}
	r.retiring = nil
}
