package register

import (
	"sync/atomic"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// position is where the key watch stands in etcd's history, shared by the
// watch (which moves it) and the code that sees other etcd responses (which
// reports them to Seen). An etcd replaced at the same address by one restored
// from an old snapshot, or rebuilt empty, answers at a revision below the
// one the watch waits for: the watch would wait for that revision and miss
// every change until then. A header lower than the position, or from another
// cluster, is the sign; Seen then asks the watch to check (see watchKey).
// A request to check before the watch has a position is ignored.
type position struct {
	rev     atomic.Int64  // every event up to rev was delivered; 0: not watching yet
	cluster atomic.Uint64 // the watched etcd's cluster ID; 0: unknown
	check   chan struct{} // one pending request to check, or none
}

func newPosition() *position {
	return &position{check: make(chan struct{}, 1)}
}

// set moves the position to rev in cluster (0: keep the one known).
func (p *position) set(rev int64, cluster uint64) {
	p.rev.Store(rev)
	if cluster != 0 {
		p.cluster.Store(cluster)
	}
}

// Seen asks the watch to check etcd when h is behind the position or from
// another cluster. It never blocks; it is safe for concurrent use. A nil h,
// or one seen before the watch started, is ignored.
func (p *position) Seen(h *pb.ResponseHeader) {
	if h != nil && p.behind(h.Revision, h.ClusterId) {
		p.Check()
	}
}

// Check asks the watch to check etcd (as when a header was behind): after a
// reconnect, for one, which may have reached another etcd. It never blocks.
func (p *position) Check() {
	select {
	case p.check <- struct{}{}:
	default:
	}
}

// behind reports whether an answer at rev from cluster is behind the
// position, or from another cluster than the one watched.
func (p *position) behind(rev int64, cluster uint64) bool {
	at := p.rev.Load()
	if at == 0 || rev == 0 {
		return false
	}
	known := p.cluster.Load()
	return rev < at || (known != 0 && cluster != 0 && cluster != known)
}
