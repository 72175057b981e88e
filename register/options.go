package register

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/confwatch/confwatch/internal/hostport"
)

// Defaults for zero Options fields.
const (
	DefaultTTL      = 30 * time.Second
	DefaultInterval = 5 * time.Second
	DefaultRise     = 2
	DefaultFall     = 3
	// DefaultDrainTimeout bounds the drain barrier.
	DefaultDrainTimeout = 30 * time.Second
	// DefaultStartGrace is the start grace of `confwatch register` (zero
	// Options have none).
	DefaultStartGrace = 30 * time.Second
)

// Value formats of Options.ValueFormat (--value-format).
const (
	FormatAny      = "any"
	FormatHostPort = "hostport"
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
	// ValueFormat, when not "" or FormatAny, is what Value must be:
	// FormatHostPort (hostport.Problem) for a unit that registers an
	// address, so a value that would be a configuration (`;`, braces,
	// newlines) is refused before it reaches etcd.
	ValueFormat string
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
	// StartGrace, when positive, is how long after Run starts a failing
	// Check is retried every 200ms instead of every Interval, without
	// counting: a backend starting with its sidekick is registered as soon
	// as it first answers. A failure after the grace is the gate's first
	// result; Rise and Fall apply from then on. Zero means no grace.
	StartGrace time.Duration
	// Drain, when positive, keeps Run going that long after a stop has
	// revoked the lease, when the key was registered at the stop: load
	// balancers see the key gone, re-render and reload before the backend
	// stops (the unit is BindsTo= and After= its backend, so systemd stops
	// the backend only once the sidekick has exited). Zero means no drain.
	Drain time.Duration
	// AckPrefix, when set, turns on the drain barrier: after a stop has
	// revoked the lease, Run waits until every load balancer announcing
	// under AckPrefix (package ack) for a directory holding Key has applied
	// the revision of that deletion, at most DrainTimeout, and only then
	// drains (Drain is waited after the barrier).
	AckPrefix string
	// DrainTimeout bounds the barrier; zero takes DefaultDrainTimeout.
	DrainTimeout time.Duration
	// CutDrain, when closed, ends a drain at once (the second SIGTERM).
	CutDrain <-chan struct{}
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

// Validate reports the first problem with o as it is: zero TTL, Interval,
// Rise and Fall are problems here (Run gives them their defaults before it
// validates). The error wraps ErrInvalid and names the field by its flag of
// `confwatch register` (--ttl), with the value at fault; it never quotes
// Value, which may be secret.
func (o Options) Validate() error {
	switch {
	case o.Key == "":
		return invalid("--key is empty (an unset variable in the unit file?)")
	case !strings.HasPrefix(o.Key, "/"):
		return invalid("--key %q does not start with / (etcd keys confwatch reads are absolute: /%s)", o.Key, o.Key)
	case o.ValueFormat != "" && o.ValueFormat != FormatAny && o.ValueFormat != FormatHostPort:
		return invalid("--value-format %q: want %s or %s", o.ValueFormat, FormatAny, FormatHostPort)
	case o.ValueFormat == FormatHostPort && hostport.Problem(o.Value) != "":
		return invalid("--value is not host:port (--value-format %s): %s", FormatHostPort, hostport.Problem(o.Value))
	case o.TTL <= 0:
		return invalid("--ttl must be positive, got %s", o.TTL)
	case NearestTTL(o.TTL) != o.TTL:
		return invalid("--ttl %s is not a whole number of seconds, at least 1s (etcd lease TTLs are): use %s",
			o.TTL, NearestTTL(o.TTL))
	case o.Interval <= 0:
		return invalid("--interval must be positive, got %s", o.Interval)
	case o.Rise < 1:
		return invalid("--rise must be at least 1, got %d", o.Rise)
	case o.Fall < 1:
		return invalid("--fall must be at least 1, got %d", o.Fall)
	case o.StartGrace < 0:
		return invalid("--start-grace must not be negative, got %s", o.StartGrace)
	case o.Drain < 0:
		return invalid("--drain must not be negative, got %s", o.Drain)
	case o.DrainTimeout < 0:
		return invalid("--drain-timeout must not be negative, got %s", o.DrainTimeout)
	}
	return nil
}

// invalid is an error wrapping ErrInvalid.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
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
	if o.DrainTimeout == 0 {
		o.DrainTimeout = DefaultDrainTimeout
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
