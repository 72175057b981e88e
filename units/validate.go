package units

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"time"
)

var (
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	keyPrefixRe = regexp.MustCompile(`^(/[A-Za-z0-9_.:@-]+)+$`)
	metaKey     = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	metaValue   = regexp.MustCompile(`^[A-Za-z0-9_.:/@+-]+$`)
	globRe      = regexp.MustCompile(`^[A-Za-z0-9:_.@\\*?\[\]!^-]+$`)
)

// validate checks a defaulted spec; every error names the offending option.
func (s Spec) validate() error {
	checks := []func() error{
		func() error { return oneOf("--flavor", s.Flavor, FlavorSystemd, FlavorFleet) },
		func() error { return oneOf("--runtime", s.Runtime, RuntimeDocker, RuntimePodman, RuntimeExec) },
		func() error { return oneOf("--health-check", s.HealthCheck, CheckHTTP, CheckTCP, CheckNone) },
		func() error {
			return oneOf("--restart", s.Restart, "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always")
		},
		s.validateNames, s.validatePaths, s.validateBackend, s.validateEtcd, s.validateTiming, s.validateFleet,
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

func oneOf(option, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not one of %s", option, v, strings.Join(allowed, ", "))
}

func (s Spec) validateNames() error {
	if err := checkServiceName("--service", s.Service); err != nil {
		return err
	}
	if err := checkServiceName("--lb-name", s.LBName); err != nil {
		return err
	}
	if s.LBName == "nginx" {
		return fmt.Errorf("--lb-name: %q would clash with nginx.service, which the LB unit orders", s.LBName)
	}
	// The longest instance is a 5-digit port.
	for _, n := range []struct{ opt, name string }{
		{"--service", s.backendName("65535")}, {"--service", s.sidekickName("65535")}, {"--lb-name", s.lbUnit()},
	} {
		if err := CheckUnitName(n.name); err != nil {
			return fmt.Errorf("%s: %w", n.opt, err)
		}
	}
	return nil
}

// absPath checks an absolute, normalized path without line breaks.
func absPath(option, p string, optional bool) error {
	if p == "" && optional {
		return nil
	}
	if err := checkValue(option, p); err != nil {
		return err
	}
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return fmt.Errorf("%s: %q must be an absolute, normalized path", option, p)
	}
	return nil
}

func (s Spec) validatePaths() error {
	for _, p := range []struct {
		opt, v   string
		optional bool
	}{
		{"--runtime-path", s.RuntimePath, false}, {"--environment-file", s.EnvironmentFile, false},
		{"--cert-file", s.CertFile, true}, {"--key-file", s.KeyFile, true}, {"--ca-file", s.CAFile, true},
		{"--confwatch", s.Confwatch, false}, {"--config", s.ConfigFile, true}, {"--confdir", s.ConfDir, false},
	} {
		if err := absPath(p.opt, p.v, p.optional); err != nil {
			return err
		}
	}
	return nil
}

func (s Spec) validateBackend() error {
	if err := s.validateExec(); err != nil {
		return err
	}
	if s.Runtime != RuntimeExec {
		if err := checkValue("--backend-image", s.BackendImage); err != nil {
			return err
		}
		if strings.HasPrefix(s.BackendImage, "-") || strings.ContainsAny(s.BackendImage, " \t") {
			return fmt.Errorf("--backend-image: %q is not an image reference", s.BackendImage)
		}
	}
	for _, p := range []struct {
		opt string
		v   int
	}{{"--container-port", s.ContainerPort}, {"--lb-port", s.LBPort}} {
		if p.v < 1 || p.v > 65535 {
			return fmt.Errorf("%s: %d is not a TCP port", p.opt, p.v)
		}
	}
	if s.LBListen != "" {
		if _, err := netip.ParseAddr(s.LBListen); err != nil {
			return fmt.Errorf("--lb-listen: %q is not an IP address", s.LBListen)
		}
	}
	if s.MaxShrink != nil && (*s.MaxShrink < 0 || *s.MaxShrink > 100) {
		return fmt.Errorf("--max-shrink: %d is not a percentage from 0 to 100", *s.MaxShrink)
	}
	return s.validateAdvertise()
}

// validateExec checks BackendExec: required with RuntimeExec, where its
// first word must be an absolute path; no argument may break a line.
func (s Spec) validateExec() error {
	if s.Runtime == RuntimeExec {
		if len(s.BackendExec) == 0 {
			return fmt.Errorf("--backend-exec: required with --runtime %s", RuntimeExec)
		}
		if exe := s.BackendExec[0]; !strings.HasPrefix(exe, "/") || path.Clean(exe) != exe {
			return fmt.Errorf("--backend-exec: executable %q must be an absolute, normalized path with --runtime %s", exe, RuntimeExec)
		}
	}
	for _, a := range s.BackendExec {
		if err := checkValue("--backend-exec", a); err != nil {
			return err
		}
	}
	return nil
}

// validateAdvertise checks the advertised address: a literal IP without a
// zone (it cannot be written in a host:port for docker -p, the etcd value
// or nginx's upstream), or an environment variable name.
func (s Spec) validateAdvertise() error {
	if s.AdvertiseIP == "" {
		if !envName.MatchString(s.AdvertiseEnv) {
			return fmt.Errorf("--advertise-env: %q is not an environment variable name", s.AdvertiseEnv)
		}
		return nil
	}
	a, err := netip.ParseAddr(s.AdvertiseIP)
	if err != nil {
		return fmt.Errorf("--advertise-ip: %w", err)
	}
	if a.Zone() != "" {
		return fmt.Errorf("--advertise-ip: %q has a zone (%q): a zoned address cannot be published as host:port to docker, etcd or nginx; use a global or unique-local address", s.AdvertiseIP, "%"+a.Zone())
	}
	return nil
}

func (s Spec) validateEtcd() error {
	for _, e := range s.Endpoints {
		if err := checkValue("--endpoints", e); err != nil {
			return err
		}
		if e == "" || strings.ContainsAny(e, ", \t") || strings.HasPrefix(e, "-") {
			return fmt.Errorf("--endpoints: %q is not an endpoint URL", e)
		}
	}
	if !keyPrefixRe.MatchString(s.KeyPrefix) || path.Clean(s.KeyPrefix) != s.KeyPrefix {
		return fmt.Errorf("--key-prefix: %q must be an absolute etcd path of letters, digits and `_.:@-`", s.KeyPrefix)
	}
	if s.EtcdUnit != "" {
		if err := CheckUnitName(s.EtcdUnit); err != nil {
			return fmt.Errorf("--etcd-unit: %w", err)
		}
	}
	if !strings.HasPrefix(s.HealthPath, "/") || strings.ContainsAny(s.HealthPath, " \t#") {
		return fmt.Errorf("--health-path: %q must start with '/' and contain no spaces or '#'", s.HealthPath)
	}
	return checkValue("--health-path", s.HealthPath)
}

func (s Spec) validateTiming() error {
	switch {
	case s.TTL < time.Second:
		return fmt.Errorf("--ttl: %v is shorter than etcd's 1s lease granularity", s.TTL)
	case s.TTL%time.Second != 0:
		return fmt.Errorf("--ttl: %v is not a whole number of seconds (etcd leases are whole seconds)", s.TTL)
	case s.Interval < 0:
		return fmt.Errorf("--interval: negative duration %v", s.Interval)
	case *s.RestartDelay < 0:
		return fmt.Errorf("--restart-sec: negative duration %v", *s.RestartDelay)
	case *s.Drain < 0:
		return fmt.Errorf("--drain: negative duration %v", *s.Drain)
	case s.DrainTimeout < 0:
		return fmt.Errorf("--drain-timeout: negative duration %v", s.DrainTimeout)
	case s.barrier() && (!strings.HasPrefix(s.AckPrefix, "/") || strings.ContainsAny(s.AckPrefix, " \t\n%$\\\"'")):
		return fmt.Errorf("--ack-prefix: %q is not an absolute etcd key prefix without spaces, quotes or %%, $, \\ (or %q for no barrier)", s.AckPrefix, AckOff)
	case s.Rise < 0:
		return fmt.Errorf("--rise: negative count %d", s.Rise)
	case s.Fall < 0:
		return fmt.Errorf("--fall: negative count %d", s.Fall)
	}
	return nil
}

func (s Spec) validateFleet() error {
	if s.Flavor != FlavorFleet {
		if s.GlobalLB || len(s.MachineMetadata)+len(s.LBMachineMetadata)+len(s.LBConflicts) > 0 {
			return fmt.Errorf("--global-lb, --machine-metadata, --lb-machine-metadata and --lb-conflicts need --flavor %s", FlavorFleet)
		}
		return nil
	}
	for _, md := range []struct {
		opt  string
		vals []string
	}{{"--machine-metadata", s.MachineMetadata}, {"--lb-machine-metadata", s.LBMachineMetadata}} {
		for _, m := range md.vals {
			k, v, ok := strings.Cut(m, "=")
			if !ok || !metaKey.MatchString(k) || !metaValue.MatchString(v) {
				return fmt.Errorf("%s: %q is not key=value (key: letters, digits, `_.-`; value: also `:/@+`)", md.opt, m)
			}
		}
	}
	if s.GlobalLB && len(s.LBConflicts) > 0 {
		// fleet's api.ValidateOptions: "Global cannot be used with Conflicts".
		return fmt.Errorf("--lb-conflicts: fleet refuses Conflicts= in a global unit (--global-lb); a global LB runs on every matching machine")
	}
	for _, g := range s.LBConflicts {
		if _, err := path.Match(g, ""); err != nil || !globRe.MatchString(g) {
			return fmt.Errorf("--lb-conflicts: %q is not a unit-name glob", g)
		}
	}
	return nil
}
