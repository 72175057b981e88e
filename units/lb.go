package units

// NginxUnit is the unit the LB orders after its first render and reloads.
const NginxUnit = "nginx.service"

// lb builds <LBName>.service, the first half of the pair design (see the
// package doc): `confwatch run` as Type=notify, Before= and Wants=
// nginx.service, so systemd starts the distribution's nginx unit only
// once confwatch has said READY=1 after its first good render. confwatch
// reloads nginx through systemd (reload_unit) from then on.
func (s Spec) lb() unitDef {
	u := unitDef{name: s.lbUnit()}
	u.add("Unit", "Description", lit("confwatch: nginx configuration for "+s.Service+" from etcd "+s.KeyPrefix))
	s.etcdDeps(&u)
	u.add("Unit", "Wants", lit(NginxUnit))
	u.add("Unit", "Before", lit(NginxUnit))
	u.add("Service", "Type", lit("notify"))
	// Only confwatch itself may notify; its loop pings the watchdog, so a
	// wedged agent is restarted; what it last applied survives restarts.
	u.add("Service", "NotifyAccess", lit("main"))
	u.add("Service", "WatchdogSec", lit("30s"))
	u.add("Service", "StateDirectory", lit("confwatch"))
	argv := append([]text{{lit(s.Confwatch)}, {lit("run")}, {lit("--confdir")}, {lit(s.ConfDir)}}, s.etcdFlags()...)
	if s.barrier() {
		argv = append(argv, words("--ack-prefix", s.AckPrefix)...)
	}
	u.exec("Service", "ExecStart", "", argv...)
	u.exec("Service", "ExecReload", "", text{lit("/bin/kill")}, text{lit("-HUP")}, text{spec("$MAINPID")})
	s.common(&u, false)
	// Exit 2 is a configuration confwatch cannot use, or another agent on
	// the confdir: a restart would fail the same way, so the unit fails.
	u.add("Service", "RestartPreventExitStatus", lit("2"))
	// SIGTERM to confwatch alone: a check or reload it is running finishes
	// with the apply it belongs to; what is left at TimeoutStopSec is killed.
	u.add("Service", "KillMode", lit("mixed"))
	if s.Flavor == FlavorFleet {
		for _, c := range s.LBConflicts {
			u.add("X-Fleet", "Conflicts", lit(c))
		}
		if s.GlobalLB {
			u.add("X-Fleet", "Global", lit("true"))
		}
	}
	s.install(&u, s.LBMachineMetadata)
	return u
}
