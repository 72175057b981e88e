// Package units generates and checks the systemd/fleet units of the classic
// "nginx load balancer over etcd" setup, done the confwatch way:
//
//   - <service>@.service, the backend (the instance is its host port);
//   - <service>-discovery@.service, its sidekick running `confwatch
//     register`, bound to the backend (BindsTo=, After=, PartOf=);
//   - <lb>.service, running `confwatch run` as Type=notify.
//
// # The load balancer is a pair of units
//
// The LB unit does not run nginx itself: it is ordered Before= (and Wants=)
// the distribution's nginx.service. Because confwatch is Type=notify and
// says READY=1 only after its first good render, systemd starts nginx only
// once its configuration is in place, which is what the classic
// confd-watch script did with a polling loop. The generated resource
// allows an empty key set (allow_empty): with no backend registered yet
// the first render is a server answering 503, so the LB and nginx still
// start instead of waiting out the start timeout. A pair rather than one unit
// driving nginx as a child, because: nginx keeps its packaged unit (its
// ExecReload runs `nginx -s reload`, which parses the whole config and so
// makes a bad config a failed job that confwatch sees over D-Bus; log
// rotation, hardening and package upgrades keep working); a confwatch
// crash or restart does not take nginx down, it keeps serving the last good
// config; and confwatch need not be a process supervisor. The price is one
// more unit, and a Wants= (not Requires=) so that nginx still starts, with
// whatever config it has, if confwatch cannot render at all.
//
// # Escaping
//
// Units are built as intended option values and serialized with
// go-systemd's unit.SerializeSections, which escapes nothing, so this
// package does: CR, LF, NUL, other control characters and invalid UTF-8
// are refused with an error naming the option; a literal '%' is written
// "%%"; in Exec*= lines a literal '$' is written "$$" and arguments with
// spaces, quotes or backslashes are double-quoted with '\' escapes. The
// specifiers (%i) and variables (${COREOS_PRIVATE_IPV4}, $MAINPID) the
// generator means are written as is. fleet has no "%%" in [X-Fleet], so a
// '%' there is refused. Unit names follow fleet's and systemd's rules, and
// no line reaches 2048 bytes.
//
// Lint checks unit files against fleet's rules (fleet_parity_test.go maps
// each to the fleet function it reimplements); Verify runs
// `systemd-analyze verify` on them in a throwaway root. A global LB gets
// no Conflicts=: fleet refuses Global=true next to Conflicts=.
package units
