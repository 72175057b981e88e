package units

import (
	"strconv"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// stopMargin is how much longer than the drain a sidekick's stop may take
// (revoking the lease, a slow etcd) before systemd kills it. The unit says
// so itself whenever there is a drain: hosts may lower DefaultTimeoutStopSec.
const stopMargin = 30 * time.Second

// sidekick builds <Service>-discovery@.service: `confwatch register` keeps
// <KeyPrefix>/<ip>:%i = <ip>:%i alive under an etcd lease. BindsTo= and
// After= its backend make systemd stop it (revoking the lease, so the key
// vanishes, then waiting Drain so the LB reloads without the backend)
// before the backend stops, and stop it whenever the backend goes away;
// PartOf= carries restarts. Type=notify: confwatch says READY=1 after the
// first registration or first health check. No KillMode=none. No
// [Install]: the backend's Wants= starts it, and enabling it would pull
// in its backend at boot through BindsTo=.
func (s Spec) sidekick() unitDef {
	u := unitDef{name: s.sidekickName("")}
	backend := instance(s.Service)
	u.add("Unit", "Description", lit("Register "+s.Service+"@"), spec("%i"), lit(" in etcd"))
	for _, k := range []string{"BindsTo", "After", "PartOf"} {
		u.add("Unit", k, backend...)
	}
	s.etcdDeps(&u)
	u.add("Service", "Type", lit("notify"))
	s.checkEnv(&u)
	u.exec("Service", "ExecStart", "", s.registerArgv()...)
	if w := s.stopWait(); w > 0 {
		u.add("Service", "TimeoutStopSec", lit(span(w+stopMargin)))
	}
	s.common(&u, true)
	// Exit 2 is a bad register command line or configuration: restarting
	// would fail the same way.
	u.add("Service", "RestartPreventExitStatus", lit("2"))
	if s.Flavor == FlavorFleet {
		// Never with a Conflicts= glob: fleet matches MachineOf against
		// Conflicts without expanding %i, and would refuse the unit.
		u.add("X-Fleet", "MachineOf", backend...)
	}
	return u
}

// registerArgv is the `confwatch register` command line. The value is an
// address, so it is registered with --value-format hostport: an instance
// name that is not a port (apache@80;x) fails the sidekick with exit 2.
func (s Spec) registerArgv() []text {
	hp := s.hostPort()
	key := append(text{lit(s.KeyPrefix + "/")}, hp...)
	argv := []text{{lit(s.Confwatch)}, {lit("register")}}
	argv = append(argv, s.etcdFlags()...)
	argv = append(argv, text{lit("--key")}, key, text{lit("--value")}, hp,
		text{lit("--value-format")}, text{lit("hostport")}, text{lit("--ttl")}, text{lit(s.TTL.String())})
	if s.barrier() {
		argv = append(argv, words("--ack-prefix", s.AckPrefix, "--drain-timeout", goSpan(s.DrainTimeout))...)
	}
	if *s.Drain > 0 {
		argv = append(argv, words("--drain", goSpan(*s.Drain))...)
	}
	switch s.HealthCheck {
	case CheckHTTP:
		url := append(append(text{lit("http://")}, hp...), lit(s.HealthPath))
		argv = append(argv, text{lit("--check-http")}, url)
	case CheckTCP:
		argv = append(argv, text{lit("--check-tcp")}, hp)
	}
	if s.HealthCheck != CheckNone {
		argv = append(argv, words("--interval", s.Interval.String())...)
		if s.Rise > 0 {
			argv = append(argv, words("--rise", itoa(s.Rise))...)
		}
		if s.Fall > 0 {
			argv = append(argv, words("--fall", itoa(s.Fall))...)
		}
	}
	return argv
}

// stopWait is the longest a stopping sidekick waits after the revoke: the
// drain barrier's timeout, then the drain.
func (s Spec) stopWait() time.Duration {
	if s.barrier() {
		return s.DrainTimeout + *s.Drain
	}
	return *s.Drain
}

// goSpan formats d for a Go duration flag: whole seconds as "120s", else
// milliseconds (d.String's "2m0s" is right but reads badly in a unit).
func goSpan(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
