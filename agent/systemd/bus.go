package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Job kinds for bus.enqueue: the Mode constants and jobStart.
const jobStart = "start"

// Job modes for bus.enqueue (systemd's --job-mode=).
const (
	jobModeReplace = "replace"
	// jobModeNow runs the job at once, ignoring ordering and requirement
	// dependencies: it never waits behind the agent's own job.
	jobModeNow = "ignore-dependencies"
)

// Job is one job in systemd's queue.
type Job struct {
	Unit  string // "nginx.service"
	Type  string // "start", "reload", "stop", ...
	State string // "waiting" or "running"
}

// bus is the part of systemd's D-Bus API the reload logic needs; sdConn implements it over
// go-systemd, tests with a fake. Errors are already classified (see classify).
type bus interface {
	// property returns a string property of the org.freedesktop.systemd1.Unit interface.
	property(ctx context.Context, unit, name string) (string, error)
	// typeProperty returns a string property of the unit's type interface
	// (org.freedesktop.systemd1.Service for a .service: "ControlGroup").
	typeProperty(ctx context.Context, unit, name string) (string, error)
	// strv returns a string-array property of the Unit interface ("After").
	strv(ctx context.Context, unit, name string) ([]string, error)
	// enqueue queues a job of kind (a Mode or jobStart) in job mode jobMode; its
	// result arrives on ch, which must be buffered.
	enqueue(ctx context.Context, kind, unit, jobMode string, ch chan<- string) error
	// jobs lists systemd's job queue.
	jobs(ctx context.Context) ([]Job, error)
	// unitOf names the unit the process pid belongs to.
	unitOf(ctx context.Context, pid int) (string, error)
	connected() bool
	close()
}

// sdConn adapts go-systemd's *dbus.Conn.
type sdConn struct{ c *sddbus.Conn }

func (s sdConn) connected() bool { return s.c.Connected() }
func (s sdConn) close()          { s.c.Close() }

func (s sdConn) property(ctx context.Context, unit, name string) (string, error) {
	p, err := s.c.GetUnitPropertyContext(ctx, unit, name)
	return stringProperty(p, err, unit, name)
}

func (s sdConn) typeProperty(ctx context.Context, unit, name string) (string, error) {
	p, err := s.c.GetUnitTypePropertyContext(ctx, unit, unitType(unit), name)
	return stringProperty(p, err, unit, name)
}

// stringProperty is the string value of property name of unit as read (p,
// err), with errors classified.
func stringProperty(p *sddbus.Property, err error, unit, name string) (string, error) {
	if err != nil {
		return "", classify(err)
	}
	v, ok := p.Value.Value().(string)
	if !ok {
		return "", fmt.Errorf("property %s of %s is %s, not a string", name, unit, p.Value.Signature())
	}
	return v, nil
}

func (s sdConn) strv(ctx context.Context, unit, name string) ([]string, error) {
	p, err := s.c.GetUnitPropertyContext(ctx, unit, name)
	if err != nil {
		return nil, classify(err)
	}
	v, ok := p.Value.Value().([]string)
	if !ok {
		return nil, fmt.Errorf("property %s of %s is %s, not a string array", name, unit, p.Value.Signature())
	}
	return v, nil
}

func (s sdConn) jobs(ctx context.Context) ([]Job, error) {
	js, err := s.c.ListJobsContext(ctx)
	if err != nil {
		return nil, classify(err)
	}
	out := make([]Job, len(js))
	for i, j := range js {
		out[i] = Job{Unit: j.Unit, Type: j.JobType, State: j.Status}
	}
	return out, nil
}

func (s sdConn) unitOf(ctx context.Context, pid int) (string, error) {
	name, err := s.c.GetUnitNameByPID(ctx, uint32(pid))
	return name, classify(err)
}

func (s sdConn) enqueue(ctx context.Context, kind, unit, jobMode string, ch chan<- string) error {
	var m func(context.Context, string, string, chan<- string) (int, error)
	switch kind {
	case jobStart:
		m = s.c.StartUnitContext
	case ModeReload:
		m = s.c.ReloadUnitContext
	case ModeRestart:
		m = s.c.RestartUnitContext
	case ModeReloadOrRestart:
		m = s.c.ReloadOrRestartUnitContext
	case ModeTryReloadOrRestart:
		m = s.c.ReloadOrTryRestartUnitContext
	default:
		return fmt.Errorf("%w %q", ErrBadMode, kind)
	}
	_, err := m(ctx, unit, jobMode, ch)
	return classify(err)
}

// classify wraps D-Bus errors in the package's sentinels: an error reply from systemd is a
// call failure (ErrNoUnit, ErrJobFailed when the job could not even be queued, ErrDenied,
// or as is); anything else, except the caller's own context ending, is a transport
// failure (ErrConnection).
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var name string
	var e dbus.Error
	var pe *dbus.Error
	switch {
	case errors.As(err, &e):
		name = e.Name
	case errors.As(err, &pe):
		name = pe.Name
	default:
		return fmt.Errorf("%w: %w", ErrConnection, err)
	}
	switch name {
	case "org.freedesktop.systemd1.NoSuchUnit", "org.freedesktop.systemd1.UnitMasked":
		return fmt.Errorf("%w: %w", ErrNoUnit, err)
	case "org.freedesktop.systemd1.JobTypeNotApplicable", // e.g. reload without ExecReload=
		"org.freedesktop.systemd1.OnlyByDependency",
		"org.freedesktop.systemd1.TransactionIsDestructive",
		"org.freedesktop.systemd1.TransactionJobsConflicting":
		return fmt.Errorf("%w: not queued: %w", ErrJobFailed, err)
	case "org.freedesktop.DBus.Error.AccessDenied", "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired":
		return fmt.Errorf("%w: %w", ErrDenied, err)
	}
	return err
}

// dialSystem connects like systemctl: the system bus, or as root /run/systemd/private.
// The connection lives until ctx ends (godbus closes it then).
func dialSystem(ctx context.Context) (bus, error) {
	c, err := sddbus.NewWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnection, err)
	}
	return sdConn{c}, nil
}

// dialPrivate connects to systemd's private socket at path, authenticating as this uid
// and skipping Hello (there is no bus daemon), as go-systemd does for /run/systemd/private.
func dialPrivate(path string) func(context.Context) (bus, error) {
	return func(ctx context.Context) (bus, error) {
		c, err := sddbus.NewConnection(func() (*dbus.Conn, error) {
			conn, err := dbus.Dial("unix:path="+dbus.EscapeBusAddressValue(path), dbus.WithContext(ctx))
			if err != nil {
				return nil, err
			}
			if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
				_ = conn.Close() // the Auth error is the one to report
				return nil, err
			}
			return conn, nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConnection, path, err)
		}
		return sdConn{c}, nil
	}
}
