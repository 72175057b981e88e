package units

import (
	"strings"
	"time"
)

// backend builds <Service>@.service. Its instance is the host port. It
// Wants= its sidekick, so starting a backend also registers it; the
// sidekick orders itself after the backend, never the other way round.
// It starts after network-online.target (it may bind the advertised
// address) and, when it uses an advertised address from the environment
// file, refuses to start while that variable is empty (it would listen on
// every interface).
func (s Spec) backend() unitDef {
	u := unitDef{name: s.backendName("")}
	u.add("Unit", "Description", lit(s.Service+" backend on port "), spec("%i"))
	u.add("Unit", "Wants", instance(s.Service+"-discovery")...)
	u.add("Unit", "Wants", lit("network-online.target"))
	u.add("Unit", "After", lit("network-online.target"))
	if s.Runtime == RuntimeExec {
		if s.backendUsesIP() {
			s.checkEnv(&u)
		}
		u.exec("Service", "ExecStart", "", s.expandArgs(s.BackendExec)...)
	} else {
		s.container(&u)
	}
	s.common(&u, true)
	if s.Flavor == FlavorFleet {
		u.add("X-Fleet", "Conflicts", lit(s.Service+"@*.service"))
	}
	s.install(&u, s.MachineMetadata)
	return u
}

// backendUsesIP tells whether an exec backend's command line holds the
// advertised address (an argument with "{ip}"); a container's always does
// (-p <ip>:%i:<port>).
func (s Spec) backendUsesIP() bool {
	for _, a := range s.BackendExec {
		if strings.Contains(a, "{ip}") {
			return true
		}
	}
	return false
}

// pullTimeout bounds a container backend's start, image pull included:
// a hung pull must not block the unit forever.
const pullTimeout = 15 * time.Minute

// container runs the backend image with docker or podman, publishing
// <ip>:%i on ContainerPort, like the classic setup (which also removes a
// stale container first and pulls the image on every start). A failed
// pull is ignored ("-"): during a registry outage the cached image runs;
// without one, run fails.
func (s Spec) container(u *unitDef) {
	if s.Runtime == RuntimeDocker {
		u.add("Unit", "Requires", lit("docker.service"))
		u.add("Unit", "After", lit("docker.service"))
	}
	rt := text{lit(s.RuntimePath)}
	name := text{lit(s.Service + "."), spec("%i")}
	publish := append(s.hostPort(), lit(":"+itoa(s.ContainerPort)))
	u.add("Service", "TimeoutStartSec", lit(span(pullTimeout)))
	s.checkEnv(u)
	u.exec("Service", "ExecStartPre", "-", rt, text{lit("rm")}, text{lit("--force")}, name)
	u.exec("Service", "ExecStartPre", "-", rt, text{lit("pull")}, text{lit(s.BackendImage)})
	argv := append([]text{rt}, words("run", "--rm", "--name")...)
	argv = append(argv, name, text{lit("-p")}, publish, text{lit(s.BackendImage)})
	u.exec("Service", "ExecStart", "", append(argv, s.expandArgs(s.BackendExec)...)...)
	u.exec("Service", "ExecStop", "", rt, text{lit("stop")}, name)
}

// expandArgs turns BackendExec into Exec arguments, replacing "{port}"
// with %i and "{ip}" with the advertised address; all else is literal.
func (s Spec) expandArgs(args []string) []text {
	out := make([]text, 0, len(args))
	for _, a := range args {
		var t text
		for a != "" {
			i, ph := nextPlaceholder(a)
			if i < 0 {
				t = append(t, lit(a))
				break
			}
			if i > 0 {
				t = append(t, lit(a[:i]))
			}
			if ph == "{port}" {
				t = append(t, spec("%i"))
			} else {
				t = append(t, s.ip())
			}
			a = a[i+len(ph):]
		}
		if t == nil {
			t = text{lit("")}
		}
		out = append(out, t)
	}
	return out
}

func nextPlaceholder(a string) (int, string) {
	p, i := strings.Index(a, "{port}"), strings.Index(a, "{ip}")
	switch {
	case p < 0 && i < 0:
		return -1, ""
	case i < 0 || (p >= 0 && p < i):
		return p, "{port}"
	}
	return i, "{ip}"
}
