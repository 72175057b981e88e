// Package sdnotify tells systemd about the agent's state through the sd_notify(3) protocol,
// over go-systemd's daemon package.
//
// A Notifier is built from the environment once (New). When NOTIFY_SOCKET is unset (not
// started by systemd with Type=notify, or NotifyAccess does not reach this process) every
// method is a no-op returning nil. The Notifier never unsets NOTIFY_SOCKET or the watchdog
// variables, so it keeps working for the life of the process; give child commands CleanEnv
// instead, so they cannot speak for the agent.
package sdnotify

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Lines for Send, to combine states in one datagram.
const (
	LineReady     = daemon.SdNotifyReady     // READY=1
	LineReloading = daemon.SdNotifyReloading // RELOADING=1
	LineStopping  = daemon.SdNotifyStopping  // STOPPING=1
	LineWatchdog  = daemon.SdNotifyWatchdog  // WATCHDOG=1
)

// Notifier sends state changes to the service manager. Its methods are safe for concurrent
// use. The zero value is a disabled Notifier.
type Notifier struct {
	enabled  bool
	watchdog time.Duration
	wdErr    error
}

// New returns a Notifier for this process's environment: enabled when NOTIFY_SOCKET is set,
// with the watchdog interval from WATCHDOG_USEC when WATCHDOG_PID is unset or this process.
func New() *Notifier {
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		err = fmt.Errorf("sdnotify: %w", err)
	}
	return &Notifier{enabled: os.Getenv("NOTIFY_SOCKET") != "", watchdog: wd, wdErr: err}
}

// Enabled reports whether the Notifier sends anything (NOTIFY_SOCKET was set).
func (n *Notifier) Enabled() bool { return n.enabled }

// WatchdogInterval is how often to call Watchdog: half of WatchdogSec=, or 0 when the
// watchdog is not enabled for this process (or its variables are malformed; see WatchdogErr).
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog / 2 }

// WatchdogErr is the error from reading WATCHDOG_USEC/WATCHDOG_PID, nil when they were
// absent or valid.
func (n *Notifier) WatchdogErr() error { return n.wdErr }

// Ready sends READY=1: startup, or a reload announced by Reloading, is complete.
func (n *Notifier) Ready() error { return n.Send(LineReady) }

// Stopping sends STOPPING=1: shutdown has begun.
func (n *Notifier) Stopping() error { return n.Send(LineStopping) }

// Watchdog sends WATCHDOG=1. Call it every WatchdogInterval from the main loop, so a wedged
// loop stops the pings.
func (n *Notifier) Watchdog() error { return n.Send(LineWatchdog) }

// Reloading sends RELOADING=1 and MONOTONIC_USEC= in one datagram, as systemd 253+
// requires for reloads (two datagrams hang Type=notify-reload units); 252 ignores the
// timestamp. Send Ready when the reload is done, whether it succeeded or not.
func (n *Notifier) Reloading() error {
	ts := strings.TrimSuffix(daemon.SdNotifyMonotonicUsec(), "\n")
	if ts == "" {
		return n.Send(LineReloading)
	}
	return n.Send(LineReloading, ts)
}

// Status sends STATUS=s, shown by systemctl status. See StatusLine for how s is cleaned.
func (n *Notifier) Status(s string) error { return n.Send(StatusLine(s)) }

// ExtendTimeout sends EXTEND_TIMEOUT_USEC=d: systemd's start, reload or stop timeout is
// extended to at least d from now. Send it again before d runs out to extend further.
func (n *Notifier) ExtendTimeout(d time.Duration) error {
	return n.Send(ExtendTimeoutLine(d))
}

// Send sends lines ("KEY=value", no newlines) as one datagram, so systemd applies them
// together, e.g. Send(LineReady, StatusLine("ok")). It is a no-op when disabled; an error
// means a line is malformed or the datagram could not be sent.
func (n *Notifier) Send(lines ...string) error {
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") || !strings.Contains(l, "=") {
			return fmt.Errorf("sdnotify: malformed line %q", l)
		}
	}
	if !n.enabled || len(lines) == 0 {
		return nil
	}
	state := strings.Join(lines, "\n")
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("sdnotify: send %q: %w", state, err)
	}
	return nil
}

// StatusLine returns "STATUS=s" with each CR or LF in s replaced by a space, so a status
// can never inject another assignment.
func StatusLine(s string) string {
	return "STATUS=" + strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// ExtendTimeoutLine returns "EXTEND_TIMEOUT_USEC=<d in microseconds>" (at least 1).
func ExtendTimeoutLine(d time.Duration) string {
	return "EXTEND_TIMEOUT_USEC=" + strconv.FormatInt(max(d.Microseconds(), 1), 10)
}

// CleanEnv returns env (as from os.Environ) without NOTIFY_SOCKET, WATCHDOG_USEC and
// WATCHDOG_PID, for child commands. env itself is not modified.
func CleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID":
			continue
		}
		out = append(out, kv)
	}
	return out
}
