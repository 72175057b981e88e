package systemd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Manager reloads units over one lazily opened, automatically renewed D-Bus connection.
// It is safe for concurrent use. Close it when done.
type Manager struct {
	log     *slog.Logger
	dial    func(context.Context) (bus, error) // the connection lives until its ctx ends
	life    context.Context                    // ends at Close
	stop    context.CancelFunc
	timeout time.Duration
	settle  settle

	mu        sync.Mutex
	b         bus    // nil until first use, and after a broken connection
	self      string // the agent's own unit, once selfKnown (see Self)
	selfKnown bool
}

// Option configures a Manager.
type Option func(*Manager)

// WithPrivateSocket makes the Manager talk to the systemd whose private socket
// (normally /run/systemd/private) is at path, instead of the system bus. Root only.
func WithPrivateSocket(path string) Option {
	return func(m *Manager) { m.dial = dialPrivate(path) }
}

// WithTimeout bounds each Reload, from the first D-Bus call to the settled state, when
// the caller's context has no earlier deadline. The default is 2 minutes.
func WithTimeout(d time.Duration) Option {
	return func(m *Manager) { m.timeout = d }
}

// NewManager returns a Manager logging to log (nil discards). It does not connect yet.
func NewManager(log *slog.Logger, opts ...Option) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	life, stop := context.WithCancel(context.Background())
	m := &Manager{log: log, dial: dialSystem, life: life, stop: stop, timeout: 2 * time.Minute,
		settle: settle{timeout: 5 * time.Second, interval: 100 * time.Millisecond}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Reload applies mode (a Mode constant) to unit and returns nil only when systemd reported
// the job "done" and the unit is then active. A unit that is not active is started instead
// when startIfInactive, else left alone (ErrInactive). Errors wrap the package sentinels,
// or ctx.Err() when ctx ended first.
func (m *Manager) Reload(ctx context.Context, unit, mode string, startIfInactive bool) error {
	if !ValidMode(mode) {
		return fmt.Errorf("systemd: %s: %w %q", unit, ErrBadMode, mode)
	}
	if !ValidUnitName(unit) {
		return fmt.Errorf("systemd: invalid unit name %q: %w", unit, ErrNoUnit)
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	b, err := m.conn(ctx)
	if err != nil {
		return fmt.Errorf("systemd: %s %s: %w", mode, unit, err)
	}
	jobMode := jobModeReplace
	if self, err := m.Self(ctx); err == nil {
		if jobMode, err = jobModeFor(ctx, b, self); err != nil {
			m.log.Debug("systemd: cannot tell whether our own unit has a job", "err", err)
		}
	}
	began := time.Now()
	kind, err := reload(ctx, b, unit, mode, jobMode, startIfInactive, m.settle)
	if errors.Is(err, ErrConnection) || !b.connected() {
		m.drop(b)
	}
	m.log.Debug("systemd job", "unit", unit, "mode", mode, "job", kind, "job_mode", jobMode,
		"took", time.Since(began).Round(time.Millisecond), "err", err)
	return err
}

// conn returns the live connection, dialing a new one if there is none or it dropped.
// Dialing is bounded by ctx; the connection itself lives until Close.
func (m *Manager) conn(ctx context.Context) (bus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b != nil && m.b.connected() {
		return m.b, nil
	}
	if m.b != nil {
		m.log.Warn("systemd D-Bus connection lost, reconnecting")
		m.b.close()
		m.b = nil
	}
	if m.life.Err() != nil {
		return nil, fmt.Errorf("%w: manager closed", ErrConnection)
	}
	type dialed struct {
		b   bus
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		b, err := m.dial(m.life)
		ch <- dialed{b, err}
	}()
	select {
	case d := <-ch:
		m.b = d.b
		return d.b, d.err
	case <-ctx.Done():
		go func() { // the dial ends by itself or at Close; discard what it returns
			if d := <-ch; d.b != nil {
				d.b.close()
			}
		}()
		return nil, fmt.Errorf("%w: connecting: %w", ErrConnection, ctx.Err())
	}
}

// drop closes b and forgets it if it is still the current connection.
func (m *Manager) drop(b bus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == b {
		m.b.close()
		m.b = nil
	}
}

// Close closes the connection; later Reloads fail with ErrConnection. It always returns nil.
func (m *Manager) Close() error {
	m.stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b != nil {
		m.b.close()
		m.b = nil
	}
	return nil
}
