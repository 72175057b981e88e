package units

import (
	"net/netip"
	"time"
)

// Flavors of generated units.
const (
	FlavorSystemd = "systemd" // plain systemd: [Install] sections, no [X-Fleet]
	FlavorFleet   = "fleet"   // fleet: [X-Fleet] scheduling hints, no [Install]
)

// The drain barrier's prefix by default, and the AckPrefix that turns it off.
const (
	DefaultAckPrefix = "/confwatch/acks"
	AckOff           = "none"
)

// barrier reports whether the units use the drain barrier.
func (s Spec) barrier() bool { return s.AckPrefix != AckOff }

// Backend runtimes.
const (
	RuntimeDocker = "docker"
	RuntimePodman = "podman"
	RuntimeExec   = "exec"
)

// Health checks the sidekick runs before registering.
const (
	CheckHTTP = "http"
	CheckTCP  = "tcp"
	CheckNone = "none"
)

// Spec describes the three units of a load-balanced service: the backend
// template <Service>@.service (the instance is the host port the backend
// listens on), its sidekick <Service>-discovery@.service, and the load
// balancer <LBName>.service. Zero fields take the values of DefaultSpec,
// except EtcdUnit (empty means no etcd unit to order after) and ConfigFile;
// KeyPrefix defaults to /services/<Service>, RuntimePath to
// /usr/bin/<Runtime>. Where zero is a meaningful value (RestartDelay,
// Drain) the field is a pointer and nil means the default.
type Spec struct {
	Flavor  string // FlavorSystemd or FlavorFleet
	Service string // backend name: letters, digits, '_', '.', '-'
	LBName  string // load-balancer unit name without ".service"

	Runtime       string   // RuntimeDocker, RuntimePodman or RuntimeExec
	RuntimePath   string   // docker/podman binary; default /usr/bin/<runtime>
	BackendImage  string   // container image (docker, podman)
	BackendExec   []string // argv (exec) or container command; "{port}", "{ip}" are replaced
	ContainerPort int      // port inside the container the host port maps to

	AdvertiseIP     string // literal address to register; wins over AdvertiseEnv
	AdvertiseEnv    string // variable holding the address, read from EnvironmentFile
	EnvironmentFile string // absolute path

	Endpoints                 []string // etcd endpoints; empty = confwatch's default
	CertFile, KeyFile, CAFile string   // etcd client TLS files
	KeyPrefix                 string   // etcd directory of the service's backends
	EtcdUnit                  string   // local etcd unit to order after (Wants=), "" = none

	HealthCheck   string         // CheckHTTP, CheckTCP or CheckNone
	HealthPath    string         // HTTP path checked, starts with '/'
	TTL, Interval time.Duration  // lease TTL (whole seconds); health-check interval
	Rise, Fall    int            // 0 = confwatch register's defaults
	Drain         *time.Duration // register --drain: wait after revoking at stop; nil = 2s, 0 = none
	// AckPrefix is the drain barrier's prefix: the LB's `confwatch run
	// --ack-prefix` announces under it, the sidekick's register waits on it
	// (at most DrainTimeout) before the backend stops; "" = /confwatch/acks,
	// AckOff ("none") = no barrier.
	AckPrefix    string
	DrainTimeout time.Duration // register --drain-timeout; 0 = 30s

	Restart      string         // systemd Restart= of all three units
	RestartDelay *time.Duration // systemd RestartSec=; nil = 5s (0 is RestartSec=0)

	GlobalLB          bool     // fleet: run the LB on every (matching) machine
	MachineMetadata   []string // fleet: k=v required of backend machines
	LBMachineMetadata []string // fleet: k=v required of LB machines
	LBConflicts       []string // fleet: LB Conflicts= globs; nil = "<Service>@*.service" (none if GlobalLB)

	Confwatch  string // absolute path of the confwatch binary
	ConfigFile string // confwatch --config FILE of register and run (etcd credentials); "" = none
	ConfDir    string // confdir the LB's `confwatch run` reads
	LBPort     int    // port nginx listens on (ConfDir's template)
	LBListen   string // IP address nginx listens on (ConfDir's template); "" = every address
	MaxShrink  *int   // ConfDir's resource max_shrink, in percent; nil = confwatch's default (50%)
}

// DefaultSpec returns the defaults Generate applies to zero fields: the
// classic setup (apache backends in Docker on CoreOS, nginx_lb) on plain
// systemd.
func DefaultSpec() Spec {
	return Spec{
		Flavor: FlavorSystemd, Service: "apache", LBName: "nginx_lb",
		Runtime: RuntimeDocker, BackendImage: "httpd:2.4", ContainerPort: 80,
		AdvertiseEnv: "COREOS_PRIVATE_IPV4", EnvironmentFile: "/etc/environment",
		EtcdUnit:    "etcd.service",
		HealthCheck: CheckHTTP, HealthPath: "/", TTL: 30 * time.Second, Interval: 5 * time.Second,
		Drain:     ptr(2 * time.Second),
		AckPrefix: DefaultAckPrefix, DrainTimeout: 30 * time.Second,
		Restart: "on-failure", RestartDelay: ptr(5 * time.Second),
		Confwatch: "/usr/local/bin/confwatch", ConfDir: "/etc/confd", LBPort: 80,
	}
}

// withDefaults returns s with zero fields filled from DefaultSpec.
func (s Spec) withDefaults() Spec {
	d := DefaultSpec()
	def := func(v *string, dv string) {
		if *v == "" {
			*v = dv
		}
	}
	def(&s.Flavor, d.Flavor)
	def(&s.Service, d.Service)
	def(&s.LBName, d.LBName)
	def(&s.Runtime, d.Runtime)
	def(&s.RuntimePath, "/usr/bin/"+s.Runtime)
	def(&s.BackendImage, d.BackendImage)
	def(&s.AdvertiseEnv, d.AdvertiseEnv)
	def(&s.EnvironmentFile, d.EnvironmentFile)
	def(&s.KeyPrefix, "/services/"+s.Service)
	def(&s.HealthCheck, d.HealthCheck)
	def(&s.HealthPath, d.HealthPath)
	def(&s.Restart, d.Restart)
	def(&s.Confwatch, d.Confwatch)
	def(&s.ConfDir, d.ConfDir)
	def(&s.AckPrefix, d.AckPrefix)
	for _, p := range []struct {
		v  *int
		dv int
	}{{&s.ContainerPort, d.ContainerPort}, {&s.LBPort, d.LBPort}} {
		if *p.v == 0 {
			*p.v = p.dv
		}
	}
	for _, p := range []struct {
		v  *time.Duration
		dv time.Duration
	}{{&s.TTL, d.TTL}, {&s.Interval, d.Interval}, {&s.DrainTimeout, d.DrainTimeout}} {
		if *p.v == 0 {
			*p.v = p.dv
		}
	}
	for _, p := range []struct {
		v  **time.Duration
		dv *time.Duration
	}{{&s.RestartDelay, d.RestartDelay}, {&s.Drain, d.Drain}} {
		if *p.v == nil {
			*p.v = p.dv
		}
	}
	// An IPv4-mapped IPv6 address is published as the IPv4 address it
	// maps: "[::ffff:10.0.0.1]:8080" is no use to docker -p or nginx.
	if a, err := netip.ParseAddr(s.AdvertiseIP); err == nil && a.Is4In6() {
		s.AdvertiseIP = a.Unmap().String()
	}
	// No default for a global LB: fleet refuses Global with Conflicts.
	if s.LBConflicts == nil && s.Flavor == FlavorFleet && !s.GlobalLB {
		s.LBConflicts = []string{s.Service + "@*.service"}
	}
	return s
}

func ptr[T any](v T) *T { return &v }
