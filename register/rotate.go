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

// terms is the highest raft term seen in an answer since the last grant,
// fed from every response header (the keep-alive's goroutines too); rose
// wakes Run's loop when it goes up.
type terms struct {
	max  atomic.Uint64
	rose chan struct{}
}

func newTerms() *terms { return &terms{rose: make(chan struct{}, 1)} }

// see raises max to h's term. It never blocks; nil h is ignored.
func (t *terms) see(h *pb.ResponseHeader) {
	if h == nil {
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
	select {
	case t.rose <- struct{}{}:
	default:
	}
}

// reset starts counting from term: a grant's, so that only answers after
// it can ask for the next rotation (a cluster replaced by one at lower
// terms does not ask forever).
func (t *terms) reset(term uint64) { t.max.Store(term) }

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
// granted.
func (r *runner) staleLease() bool {
	return r.lease != 0 && r.terms.max.Load() > r.leaseTerm
}

// retire moves the current lease aside, still kept alive, so that the next
// sync grants a new one and puts the key under it.
func (r *runner) retire() {
	r.log.Info("leader changed: moving the key to a new lease",
		"lease", hex(r.lease), "granted_in_term", r.leaseTerm, "term", r.terms.max.Load())
	r.retiring = append(r.retiring, retired{id: r.lease, stop: r.kaStop})
	r.ka, r.kaStop, r.lease, r.intact = nil, nil, 0, false
}

// revokeRetiring stops keeping the retired leases alive and revokes them,
// each bounded by timeout; it returns the highest revision of a revoke that
// deleted a key (0: none did).
func (r *runner) revokeRetiring(ctx context.Context, timeout time.Duration) int64 {
	var rev int64
	for _, l := range r.retiring {
		if l.stop != nil {
			l.stop()
		}
		rev = max(rev, r.revokeID(ctx, l.id, timeout))
	}
	r.retiring = nil
	return rev
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
