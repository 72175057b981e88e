package main

import "runtime/debug"

// crashBySignal makes a crash of a long-running command (a panic, or the
// SIGABRT systemd sends when the watchdog expires) end the process by the
// signal instead of Go's default exit status 2. The units prevent a restart
// on exit status 2 (RestartPreventExitStatus=2: a configuration error would
// fail again), so a crash must not look like one: killed by a signal, it is
// restarted under Restart=on-failure.
func crashBySignal() { debug.SetTraceback("crash") }
