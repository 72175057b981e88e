// Package register keeps one key in etcd v3 under a lease while a backend is
// healthy: the registration sidekick behind `confwatch register`.
//
// Run grants a lease, puts KEY=VALUE with it and keeps the lease alive. It
// watches the key and the keep-alive channel, and restores the registration
// (same lease when it still exists, else a new one) when the lease is lost,
// revoked, or the key is deleted or overwritten. While etcd is unreachable,
// retries and reconnects back off from 100ms to 1s with jitter (instead of
// gRPC's own backoff of up to two minutes), and a retry runs as soon as the
// connection is back, so a registration returns within about a second of
// etcd answering again. A stale lease is never reused: "requested lease not
// found" leads to one new grant, not a loop.
//
// With a Checker, Rise consecutive passes register and Fall consecutive
// failures deregister (the lease is revoked, so the key disappears at once);
// the first result counts on its own (see Gate). When ctx ends, Run revokes
// the lease, so the key disappears at once, and returns nil, after a drain
// when one is asked for (see Options.Drain). A process killed without that
// leaves the key until the lease's TTL ends, never longer.
package register

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Run keeps the registration described by opts until ctx ends, then revokes
// the lease (waiting at most 5s), waits for the load balancers (the drain
// barrier, see Options.AckPrefix), drains (see Options.Drain) and returns nil.
// It returns early with an error wrapping ErrInvalid for bad options (zero
// fields take their defaults first), or when cli is closed. etcd being
// unreachable is not an error: Run keeps retrying.
func Run(ctx context.Context, cli *clientv3.Client, opts Options) error {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return err
	}
	r := newRunner(cli, opts)
	if err := r.run(ctx); err != nil {
		return err
	}
	r.barrier()
	r.drain()
	return nil
}
