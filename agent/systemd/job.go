package systemd

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// settle bounds how long reload polls a unit still "reloading" or "activating" after its
// job is done; interval is also how often a waiting job checks the connection.
type settle struct{ timeout, interval time.Duration }

// reload is Manager.Reload's decision logic over b: check, enqueue one job (in jobMode),
// wait for its result, confirm the unit is active. It returns the job kind it chose ("" if
// none).
func reload(ctx context.Context, b bus, unit, mode, jobMode string, startIfInactive bool, st settle) (string, error) {
	load, err := b.property(ctx, unit, "LoadState")
	if err != nil {
		return "", fmt.Errorf("systemd: %s: load state: %w", unit, err)
	}
	switch load {
	case "loaded":
	case "not-found":
		return "", fmt.Errorf("systemd: %s: %w", unit, ErrNoUnit)
	default: // masked, error, bad-setting: no job could succeed
		return "", fmt.Errorf("systemd: %s: load state %s: %w", unit, load, ErrNoUnit)
	}
	state, err := b.property(ctx, unit, "ActiveState")
	if err != nil {
		return "", fmt.Errorf("systemd: %s: active state: %w", unit, err)
	}
	kind := mode
	if stopped(state) {
		if !startIfInactive {
			return "", fmt.Errorf("systemd: %s: %w (ActiveState=%s)", unit, ErrInactive, state)
		}
		kind = jobStart
	}
	if err := runJob(ctx, b, kind, unit, jobMode, st.interval); err != nil {
		return kind, err
	}
	return kind, waitActive(ctx, b, kind, unit, st)
}

// stopped reports whether an ActiveState means the unit is not running, so a reload job
// would fail ("not active, cannot reload") instead of reloading it.
func stopped(state string) bool {
	switch state {
	case "inactive", "failed", "deactivating", "maintenance":
		return true
	}
	return false
}

// runJob enqueues one job and waits, bounded by ctx, for its result: "done" is nil, any
// other result ErrJobFailed. A connection that drops while waiting is ErrConnection.
func runJob(ctx context.Context, b bus, kind, unit, jobMode string, poll time.Duration) error {
	ch := make(chan string, 1) // buffered: go-systemd sends while holding its lock
	if err := b.enqueue(ctx, kind, unit, jobMode, ch); err != nil {
		return fmt.Errorf("systemd: %s %s: %w", kind, unit, err)
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case res := <-ch:
			if res != "done" {
				return fmt.Errorf("systemd: %s %s: job result %q: %w", kind, unit, res, ErrJobFailed)
			}
			return nil
		case <-tick.C:
			if !b.connected() {
				return fmt.Errorf("systemd: %s %s: waiting for job: %w", kind, unit, ErrConnection)
			}
		case <-ctx.Done():
			return fmt.Errorf("systemd: %s %s: waiting for job: %w", kind, unit, ctx.Err())
		}
	}
}

// waitActive requires ActiveState=active, polling while it is still reloading or
// activating for up to st.timeout.
func waitActive(ctx context.Context, b bus, kind, unit string, st settle) error {
	deadline := time.Now().Add(st.timeout)
	for {
		state, err := b.property(ctx, unit, "ActiveState")
		if err != nil {
			return fmt.Errorf("systemd: %s %s: active state: %w", kind, unit, err)
		}
		if state == "active" {
			return nil
		}
		if (state != "reloading" && state != "activating") || time.Now().After(deadline) {
			return fmt.Errorf("systemd: %s %s: %w (ActiveState=%s)", kind, unit, ErrUnitDown, state)
		}
		select {
		case <-time.After(st.interval):
		case <-ctx.Done():
			return fmt.Errorf("systemd: %s %s: waiting for active (ActiveState=%s): %w", kind, unit, state, ctx.Err())
		}
	}
}

// unitTypes are the suffixes systemd accepts for unit names.
var unitTypes = []string{".service", ".socket", ".target", ".device", ".mount", ".automount",
	".swap", ".path", ".timer", ".slice", ".scope"}

// ValidUnitName reports whether name is a plausible full unit name ("nginx.service",
// "app@blue.service"): at most 255 bytes of [A-Za-z0-9:_.\@-] with a unit type suffix.
func ValidUnitName(name string) bool {
	if len(name) > 255 || strings.Trim(name, `abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.\@-`) != "" {
		return false
	}
	for _, t := range unitTypes {
		if strings.HasSuffix(name, t) && len(name) > len(t) {
			return true
		}
	}
	return false
}
