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
// the lease, so the key disappears at once, and returns nil. A process killed
// without that leaves the key until the lease's TTL ends, never longer.
package register

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defaults for zero Options fields.
const (
	DefaultTTL      = 30 * time.Second
	DefaultInterval = 5 * time.Second
	DefaultRise     = 2
	DefaultFall     = 3
)

// ErrInvalid is wrapped by every error about Options.
var ErrInvalid = errors.New("invalid registration options")

// Notifier receives readiness and status lines; *sdnotify.Notifier is one.
type Notifier interface {
	Ready() error
	Status(string) error
}

// Options says what to register and when. Zero TTL, Interval, Rise and Fall
// take the Default constants.
type Options struct {
	Key, Value string
	// TTL of the lease: a whole number of seconds, at least 1s (etcd leases
	// have whole-second TTLs; Validate rejects anything else, and NearestTTL
	// gives the closest valid value). etcd silently raises a TTL below its own
	// minimum (1.5 election timeouts, rounded up: 2s by default); the TTL
	// granted is the one reported in STATUS=.
	TTL time.Duration
	// Check gates the registration; nil means always healthy.
	Check Checker
	// Interval between the end of one check and the start of the next; it
	// also bounds each check's duration.
	Interval   time.Duration
	Rise, Fall int
	// Log receives state changes; the value is logged at debug level only.
	Log *slog.Logger
	// Notify, when set, gets READY=1 once (after the first registration, or
	// with a Check after the first check has been acted on, registered or
	// not) and a STATUS= line on every change.
	Notify Notifier
	// OnChange, when set, is called from Run's goroutine each time the key
	// becomes registered or stops being registered, with the reason.
	OnChange func(registered bool, reason string)
}

// Validate reports the first problem with o, wrapping ErrInvalid.
func (o Options) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	switch {
	case o.Key == "":
		return bad("key is empty")
	case o.TTL < 0:
		return bad("ttl %s is negative", o.TTL)
	case o.TTL > 0 && NearestTTL(o.TTL) != o.TTL:
		return bad("ttl %s is not a whole number of seconds, at least 1s (etcd lease TTLs are); nearest valid: %s", o.TTL, NearestTTL(o.TTL))
	case o.Interval < 0:
		return bad("interval %s is negative", o.Interval)
	case o.Rise < 0 || o.Fall < 0:
		return bad("rise %d and fall %d must not be negative", o.Rise, o.Fall)
	}
	return nil
}

// withDefaults returns o with zero fields set to the defaults.
func (o Options) withDefaults() Options {
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Rise == 0 {
		o.Rise = DefaultRise
	}
	if o.Fall == 0 {
		o.Fall = DefaultFall
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// NearestTTL returns the valid lease TTL nearest to d: d rounded to whole
// seconds (halves away from zero), and at least 1s. d is a valid TTL exactly
// when NearestTTL(d) == d.
func NearestTTL(d time.Duration) time.Duration {
	return max(d.Round(time.Second), time.Second)
}

// ttlSeconds is the TTL in seconds (a whole number once validated).
func (o Options) ttlSeconds() int64 {
	return int64(o.TTL / time.Second)
}

// Run keeps the registration described by opts until ctx ends, then revokes
// the lease (waiting at most 5s) and returns nil. It returns early with an
// error wrapping ErrInvalid for bad options, or when cli is closed. etcd being
// unreachable is not an error: Run keeps retrying.
func Run(ctx context.Context, cli *clientv3.Client, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	r := newRunner(cli, opts.withDefaults())
	return r.run(ctx)
}
