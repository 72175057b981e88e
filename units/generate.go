package units

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Generate returns the units described by spec, in this order:
// <Service>@.service, <Service>-discovery@.service, <LBName>.service and a
// README.md snippet explaining how to install them. It is pure: no file is
// read or written. Every value is checked and escaped (see package doc);
// an invalid spec gives an error naming the option and nothing else.
func Generate(spec Spec) ([]File, error) {
	s := spec.withDefaults()
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("generate units: %w", err)
	}
	var files []File
	for _, u := range []unitDef{s.backend(), s.sidekick(), s.lb()} {
		data, err := u.serialize()
		if err != nil {
			return nil, fmt.Errorf("generate units: %w", err)
		}
		files = append(files, File{Name: u.name, Data: data})
	}
	return append(files, File{Name: "README.md", Data: s.readme()}), nil
}

func (s Spec) backendName(inst string) string  { return s.Service + "@" + inst + ".service" }
func (s Spec) sidekickName(inst string) string { return s.Service + "-discovery@" + inst + ".service" }
func (s Spec) lbUnit() string                  { return s.LBName + ".service" }

// instance is the name of prefix@%i.service, with %i as a specifier.
func instance(prefix string) text { return text{lit(prefix + "@"), spec("%i"), lit(".service")} }

// usesEnv tells whether the advertised address comes from EnvironmentFile.
func (s Spec) usesEnv() bool { return s.AdvertiseIP == "" }

// ip is the advertised address: the literal IP or ${AdvertiseEnv}.
func (s Spec) ip() part {
	if s.usesEnv() {
		return spec("${" + s.AdvertiseEnv + "}")
	}
	return lit(s.AdvertiseIP)
}

// hostPort is "<ip>:%i", with an IPv6 literal in brackets.
func (s Spec) hostPort() text {
	ip := s.ip()
	if a, err := netip.ParseAddr(s.AdvertiseIP); err == nil && a.Is6() && !a.Is4In6() {
		ip = lit("[" + s.AdvertiseIP + "]")
	}
	return text{ip, lit(":"), spec("%i")}
}

// common adds the options shared by all three units; env loads
// EnvironmentFile when the advertised address comes from it.
func (s Spec) common(u *unitDef, env bool) {
	if env && s.usesEnv() {
		sec := u.sec("Service")
		ef := entry{key: "EnvironmentFile", val: text{lit(s.EnvironmentFile)}}
		sec.entries = append([]entry{ef}, sec.entries...)
	}
	u.add("Service", "Restart", lit(s.Restart))
	u.add("Service", "RestartSec", lit(span(s.RestartDelay)))
}

// etcdDeps orders a unit after the network and the local etcd unit, if any.
func (s Spec) etcdDeps(u *unitDef) {
	deps := []string{"network-online.target"}
	if s.EtcdUnit != "" {
		deps = append(deps, s.EtcdUnit)
	}
	for _, d := range deps {
		u.add("Unit", "Wants", lit(d))
		u.add("Unit", "After", lit(d))
	}
}

// etcdFlags are confwatch's etcd connection flags for the spec.
func (s Spec) etcdFlags() []text {
	var out []string
	if len(s.Endpoints) > 0 {
		out = append(out, "--endpoints", strings.Join(s.Endpoints, ","))
	}
	for _, f := range [][2]string{{"--cert-file", s.CertFile}, {"--key-file", s.KeyFile}, {"--ca-file", s.CAFile}} {
		if f[1] != "" {
			out = append(out, f[0], f[1])
		}
	}
	return words(out...)
}

// install adds [X-Fleet] MachineMetadata= lines, or for the systemd flavor an
// [Install] section so that `systemctl enable` works.
func (s Spec) install(u *unitDef, metadata []string) {
	if s.Flavor == FlavorFleet {
		for _, m := range metadata {
			u.add("X-Fleet", "MachineMetadata", lit(m))
		}
		return
	}
	u.add("Install", "WantedBy", lit("multi-user.target"))
}

// span formats d as a systemd time span (whole seconds or milliseconds).
func span(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
