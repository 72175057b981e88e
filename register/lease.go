package register

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const (
	opTimeout   = 2 * time.Second // one grant, put or revoke
	stopTimeout = 5 * time.Second // the revoke on shutdown
)

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
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	g, err := r.cli.Grant(ctx, r.o.ttlSeconds())
	if err != nil {
		return fmt.Errorf("grant lease: %w", err)
	}
	r.lease, r.ttl = g.ID, g.TTL
	return nil
}

// keepAlive starts keeping the current lease alive until ctx ends or
// dropLease; Run drains the channel.
func (r *runner) keepAlive(ctx context.Context) error {
	kctx, stop := context.WithCancel(ctx)
	ka, err := r.cli.KeepAlive(kctx, r.lease)
	if err != nil {
		stop()
		return fmt.Errorf("keep lease %s alive: %w", hex(r.lease), err)
	}
	r.ka, r.kaStop = ka, stop
	return nil
}

func (r *runner) put(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := r.cli.Put(ctx, r.o.Key, r.o.Value, clientv3.WithLease(r.lease))
	if err != nil {
		return fmt.Errorf("put under lease %s: %w", hex(r.lease), err)
	}
	r.putRev, r.intact = resp.Header.Revision, true
	r.log.Debug("put", "value", r.o.Value, "lease", hex(r.lease), "revision", r.putRev)
	return nil
}

// revoke drops the lease and revokes it, so its key disappears at once. It
// tries for up to timeout even when ctx is already cancelled. When etcd cannot
// be told, the lease (no longer kept alive) expires after its TTL.
func (r *runner) revoke(ctx context.Context, timeout time.Duration) {
	id := r.lease
	r.dropLease()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	_, err := r.cli.Revoke(ctx, id)
	if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		r.log.Warn("revoke failed: the key stays until the lease expires",
			"lease", hex(id), "ttl", r.ttl, "err", err)
		return
	}
	r.log.Debug("revoked", "lease", hex(id))
}

// dropLease forgets the lease and stops its keep-alive.
func (r *runner) dropLease() {
	if r.kaStop != nil {
		r.kaStop()
	}
	r.ka, r.kaStop, r.lease, r.intact = nil, nil, 0, false
}
