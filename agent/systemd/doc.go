// Package systemd reloads, restarts or starts units through systemd's D-Bus API and
// confirms the result, for resources that name a reload_unit.
//
// A Manager owns one go-systemd connection: to the system bus, or as root without a bus
// daemon to systemd's private socket /run/systemd/private (go-systemd falls back by
// itself), or to a private socket at another path (WithPrivateSocket, used by tests
// against a throwaway systemd). It connects on first use and again after a transport
// error or a dropped connection. Non-root agents need polkit's
// org.freedesktop.systemd1.manage-units for the unit (see contrib/polkit).
//
// Manager.Reload is the whole contract: check the unit exists and is active, enqueue one
// job, wait for its result ("done" is the only success), then require ActiveState=active.
// While the agent's own unit has a job (see self.go), the job is queued with
// "ignore-dependencies" so that it never waits behind the agent's start, reload or stop
// (Before=nginx.service would make that a deadlock). Manager.WaitingOnSelf finds jobs
// that others (a reload_cmd's systemctl) queued behind the agent's own.
// Its errors wrap the sentinels below so callers can tell "nothing was done" (ErrInactive,
// ErrNoUnit) from "the unit did not take the change" (ErrJobFailed, ErrUnitDown), and
// "systemd could not be asked" (ErrConnection, ErrDenied).
package systemd

import (
	"errors"
	"slices"
)

// Sentinels wrapped by Manager.Reload's errors.
var (
	// ErrInactive: the unit is not active and starting it was not asked for; no job was
	// queued. An operator may have stopped it on purpose.
	ErrInactive = errors.New("unit is not active")
	// ErrNoUnit: systemd has no usable unit of that name (LoadState not-found, masked,
	// error or bad-setting, or an invalid name); no job was queued.
	ErrNoUnit = errors.New("no such unit")
	// ErrJobFailed: the job finished with a result other than "done" (failed, timeout,
	// canceled, dependency, invalid, ...); the error text names the unit and the result.
	ErrJobFailed = errors.New("systemd job failed")
	// ErrUnitDown: the job was done but the unit did not end up active.
	ErrUnitDown = errors.New("unit not active after job")
	// ErrConnection: systemd could not be reached, or the connection broke.
	ErrConnection = errors.New("systemd connection failed")
	// ErrDenied: systemd (polkit) refused the call.
	ErrDenied = errors.New("systemd denied access")
	// ErrBadMode: the mode is not one of the Mode constants.
	ErrBadMode = errors.New("invalid reload mode")
)

// Reload modes, named as systemctl's verbs.
const (
	ModeReload             = "reload"                // ReloadUnit
	ModeRestart            = "restart"               // RestartUnit
	ModeReloadOrRestart    = "reload-or-restart"     // ReloadOrRestartUnit
	ModeTryReloadOrRestart = "try-reload-or-restart" // ReloadOrTryRestartUnit
)

// Modes returns the Mode constants, in the order documentation lists them:
// the one list of valid reload modes (reload_mode in a resource is checked
// against it).
func Modes() []string {
	return []string{ModeReload, ModeRestart, ModeReloadOrRestart, ModeTryReloadOrRestart}
}

// ValidMode reports whether mode is one of the Mode constants.
func ValidMode(mode string) bool { return slices.Contains(Modes(), mode) }
