package units

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Generate returns the units described by spec, in this order:
// <Service>@.service, <Service>-discovery@.service, <LBName>.service (only
// unit files: Readme explains them). It is pure: no file is read or
// written. Every value is checked and escaped (see package doc); an
// invalid spec gives an error naming the option, as its generate-units
// flag ("--service: ..."), and nothing else.
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
	return files, nil
}

// Readme returns the README.md snippet for the units of spec: what each
// unit does and how to install them for the spec's flavor. It validates
// spec as Generate does.
func Readme(spec Spec) ([]byte, error) {
	s := spec.withDefaults()
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("generate readme: %w", err)
	}
	return s.readme(), nil
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
	u.add("Service", "RestartSec", lit(span(*s.RestartDelay)))
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

// etcdFlags are confwatch's configuration file and etcd connection flags
// for the spec. Credentials belong in the configuration file, never here:
// a command line is visible to every user.
func (s Spec) etcdFlags() []text {
	var out []string
	if s.ConfigFile != "" {
		out = append(out, "--config", s.ConfigFile)
	}
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

// checkEnv adds an ExecStartPre= refusing to start while the advertise
// variable is empty or missing: the unit would otherwise publish, listen
// on or register ":<port>", that is every interface or no host at all.
func (s Spec) checkEnv(u *unitDef) {
	if !s.usesEnv() {
		return
	}
	script := `test -n "$1" || { echo "` + s.AdvertiseEnv + ` is not set in ` + s.EnvironmentFile + `" >&2; exit 1; }`
	u.exec("Service", "ExecStartPre", "", text{lit("/bin/sh")}, text{lit("-c")}, text{lit(script)},
		text{lit("check-env")}, text{s.ip()})
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

// span formats d as a systemd time span (whole minutes, seconds or
// milliseconds).
func span(d time.Duration) string {
	if d != 0 && d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + "min"
	}
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
