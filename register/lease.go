package register

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	opTimeout   = 2 * time.Second // one revoke, or a read
	stopTimeout = 5 * time.Second // the revoke on shutdown
)

// opBound bounds one grant or put of the key: a third of the TTL, between
// 500 ms and opTimeout. A member that takes longer (one just thawed and
// catching up, say) is left for the retry, which the balancer places on
// another: with a 3 s TTL a 2 s wait there left the key absent for 2 s
// after etcd had revoked its lease (make torture, 2026-12-02).
func (r *runner) opBound() time.Duration {
	return min(max(r.o.TTL/3, 500*time.Millisecond), opTimeout)
}

func hex(id clientv3.LeaseID) string { return fmt.Sprintf("%016x", int64(id)) }

// ensure puts KEY=VALUE under the current lease, granting one (and starting
// its keep-alive) first when there is none. A put refused because the lease
// no longer exists drops it and tries once more with a new lease.
func (r *runner) ensure(ctx context.Context) error {
	for try := 0; ; try++ {
		if r.lease == 0 {
			if err := r.grant(ctx); err != nil {
				return err
			}
		}
		if r.ka == nil {
			if err := r.keepAlive(ctx); err != nil {
				return err
			}
		}
		err := r.put(ctx)
		if err == nil || try > 0 || !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return err
		}
		r.log.Info("lease gone, granting a new one", "lease", hex(r.lease))
		r.dropLease()
	}
}

func (r *runner) grant(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.opBound())
	defer cancel()
	g, err := r.cli.Grant(ctx, r.o.ttlSeconds())
	if err != nil {
		return fmt.Errorf("grant lease: %w", err)
	}
	r.seen(g.ResponseHeader)
	r.terms.granted(g.ResponseHeader.RaftTerm)
	r.lease, r.ttl = g.ID, g.TTL
	return nil
}

// keepAlive starts keeping the current lease alive until ctx ends or
// dropLease; the channel closes when the lease is lost (Run selects on it).
func (r *runner) keepAlive(ctx context.Context) error {
	kctx, stop := context.WithCancel(ctx)
	lost, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		keepLease(kctx, r.cli, r.lease, time.Duration(r.ttl)*time.Second, lost, r.seen, r.log.Debug)
	}()
	r.ka, r.kaStop = lost, func() { stop(); <-done }
	return nil
}

// keepLease renews lease with one KeepAliveOnce per renewal, every ttl/3,
// each bounded well under the TTL and retried at once on a failure. It does
// not use clientv3's KeepAlive: that keeps one long-lived stream per client,
// which stays stuck on a frozen member until gRPC's keepalive gives up (10 s
// + 5 s, longer than a short TTL). Each KeepAliveOnce is a new stream, so the
// balancer places it on a member that answers. It closes lost when etcd says
// the lease is gone or when the client is closed, and returns then or when
// ctx ends. A long run of failed renewals alone is not taken as a lost lease:
// etcd may still hold it (a new leader extends every lease's TTL), and only
// an answer saying it is gone is evidence; meanwhile the key watch restores
// the key if it disappears. Each renewal's response header goes to seen.
func keepLease(ctx context.Context, cli *clientv3.Client, lease clientv3.LeaseID, ttl time.Duration, lost chan<- struct{}, seen func(*pb.ResponseHeader), debug func(string, ...any)) {
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	every, bound := ttl/3, min(ttl/6, time.Second)
	renewed := time.Now()
	next := time.NewTimer(every)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cli.Ctx().Done():
			close(lost) // the client is closed: nothing keeps the lease now
			return
		case <-next.C:
		}
		for {
			cctx, cancel := context.WithTimeout(ctx, bound)
			resp, err := cli.KeepAliveOnce(cctx, lease)
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				seen(resp.ResponseHeader)
				renewed = time.Now()
				break
			}
			if errors.Is(err, rpctypes.ErrLeaseNotFound) || cli.Ctx().Err() != nil {
				close(lost)
				return
			}
			debug("keep-alive failed, retrying at once", "lease", hex(lease), "since_renewal", time.Since(renewed).Round(time.Millisecond), "err", err)
			if !backoffTiny(ctx) {
				return
			}
		}
		next.Reset(every)
	}
}

// backoffTiny waits a moment between keep-alive retries, so a closed
// connection does not spin; false when ctx ended.
func backoffTiny(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

func (r *runner) put(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.opBound())
	defer cancel()
	if err := ctx.Err(); err != nil { // stopped before anything was sent
		return fmt.Errorf("put under lease %s: %w", hex(r.lease), err)
	}
	r.sent = true
	resp, err := r.cli.Put(ctx, r.o.Key, r.o.Value, clientv3.WithLease(r.lease))
	if err != nil {
		r.sent = !refused(err)
		return fmt.Errorf("put under lease %s: %w", hex(r.lease), err)
	}
	r.seen(resp.Header)
	r.putRev, r.intact = resp.Header.Revision, true
	r.log.Debug("put", "value", r.o.Value, "lease", hex(r.lease), "revision", r.putRev)
	r.revokeRetiring(ctx, time.Now().Add(r.opBound())) // the key is off them now
	return nil
}

// revoke drops the lease and revokes it, so its key disappears at once. It
// tries for up to timeout even when ctx is already cancelled. When etcd cannot
// be told, the lease (no longer kept alive) expires after its TTL. It returns
// the revision of the revoke, which deleted the key (0 when the lease was
// already gone and deleted nothing), and false when it failed.
func (r *runner) revoke(ctx context.Context, timeout time.Duration) (int64, bool) {
	id := r.lease
	r.dropLease()
	return r.revokeID(ctx, id, timeout, "revoke failed: the key stays until the lease expires")
}

// revokeID revokes lease id, as revoke does, logging failMsg (when not
// empty) if it fails.
func (r *runner) revokeID(ctx context.Context, id clientv3.LeaseID, timeout time.Duration, failMsg string) (int64, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	resp, err := r.cli.Revoke(ctx, id)
	if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		if failMsg != "" {
			r.log.Warn(failMsg, "lease", hex(id), "ttl", r.ttl, "err", err)
		}
		return 0, false
	}
	if err != nil {
		r.log.Debug("lease already gone", "lease", hex(id))
		return 0, true
	}
	r.log.Debug("revoked", "lease", hex(id), "revision", resp.Header.Revision)
	return resp.Header.Revision, true
}

// dropLease forgets the lease and stops its keep-alive.
func (r *runner) dropLease() {
	if r.kaStop != nil {
		r.kaStop()
	}
	r.ka, r.kaStop, r.lease, r.intact, r.sent = nil, nil, 0, false, false
}

// refused reports whether err is etcd's answer refusing a request (so it
// was not applied: the lease is gone, permission denied, ...), as opposed to
// no answer (cancelled, timed out, the connection lost), after which the
// request may have been applied.
func refused(err error) bool {
	code := status.Code(err)
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		code = ee.Code()
	}
	switch code {
	case codes.OK, codes.Canceled, codes.DeadlineExceeded, codes.Unavailable, codes.Unknown, codes.Internal, codes.Aborted:
		return false
	}
	return true
}
