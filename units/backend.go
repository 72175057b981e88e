package units

import "strings"

// backend builds <Service>@.service. Its instance is the host port. It
// Wants= its sidekick, so starting a backend also registers it; the
// sidekick orders itself after the backend, never the other way round.
func (s Spec) backend() unitDef {
	u := unitDef{name: s.backendName("")}
	u.add("Unit", "Description", lit(s.Service+" backend on port "), spec("%i"))
	u.add("Unit", "Wants", instance(s.Service+"-discovery")...)
	if s.Runtime == RuntimeExec {
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

// container runs the backend image with docker or podman, publishing
// <ip>:%i on ContainerPort, like the classic setup (which also removes a
// stale container first and pulls the image on every start).
func (s Spec) container(u *unitDef) {
	if s.Runtime == RuntimeDocker {
		u.add("Unit", "Requires", lit("docker.service"))
		u.add("Unit", "After", lit("docker.service"))
	}
	rt := text{lit(s.RuntimePath)}
	name := text{lit(s.Service + "."), spec("%i")}
	publish := append(s.hostPort(), lit(":"+itoa(s.ContainerPort)))
	u.add("Service", "TimeoutStartSec", lit("0"))
	u.exec("Service", "ExecStartPre", "-", rt, text{lit("rm")}, text{lit("--force")}, name)
	u.exec("Service", "ExecStartPre", "", rt, text{lit("pull")}, text{lit(s.BackendImage)})
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
