// Package daemon is the long-running agent behind `confwatch run`: one watch
// loop at a time over a loaded configuration, replaced on SIGHUP by a loop
// over a freshly loaded one when that loads cleanly, and a supervisor that
// tells systemd how the agent is doing (READY=1, STATUS=, WATCHDOG=1,
// EXTEND_TIMEOUT_USEC=, STOPPING=1) and, with a listen address, serves
// /metrics and /healthz. The command line builds a Setup and Options and calls
// Run; everything the agent does after that lives here.
package daemon
