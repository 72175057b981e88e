package units

import (
	"strings"
	"testing"
	"time"
)

// TestGenerateOptions checks what single options put into (or keep out
// of) the backend (0), sidekick (1) and load-balancer (2) units.
func TestGenerateOptions(t *testing.T) {
	execSpec := func(args ...string) Spec {
		return Spec{Runtime: RuntimeExec, BackendExec: append([]string{"/usr/bin/srv"}, args...)}
	}
	for _, tc := range []struct {
		name string
		spec Spec
		file int
		want []string
		not  []string
	}{
		{"barrier and drain default", Spec{}, 1, []string{" --ttl 30s --ack-prefix /confwatch/acks --drain-timeout 30s --drain 2s ", "\nTimeoutStopSec=62s\n"}, nil},
		{"the LB announces", Spec{}, 2, []string{" run --confdir /etc/confd --ack-prefix /confwatch/acks\n"}, nil},
		{"barrier prefix and timeout given", Spec{AckPrefix: "/lb/acks", DrainTimeout: time.Minute}, 1, []string{" --ack-prefix /lb/acks --drain-timeout 60s ", "\nTimeoutStopSec=92s\n"}, nil},
		{"the barrier's timeout and the drain add up", Spec{Drain: ptr(45 * time.Second)}, 1, []string{"\nTimeoutStopSec=105s\n"}, nil},
		{"no barrier", Spec{AckPrefix: AckOff}, 1, []string{" --ttl 30s --drain 2s ", "\nTimeoutStopSec=32s\n"}, []string{"ack-prefix", "drain-timeout"}},
		{"no barrier: the LB does not announce", Spec{AckPrefix: AckOff}, 2, nil, []string{"ack-prefix"}},
		{"drain 0 omits the flag", Spec{AckPrefix: AckOff, Drain: ptr(time.Duration(0))}, 1, nil, []string{"--drain", "TimeoutStopSec"}},
		{"a drain sets TimeoutStopSec", Spec{AckPrefix: AckOff, Drain: ptr(time.Minute)}, 1, []string{"--drain 60s", "\nTimeoutStopSec=90s\n"}, nil},
		{"a sub-second drain", Spec{AckPrefix: AckOff, Drain: ptr(1500 * time.Millisecond)}, 1, []string{"--drain 1500ms", "\nTimeoutStopSec=31500ms\n"}, nil},
		{"restart-sec default", Spec{}, 2, []string{"\nRestartSec=5s\n"}, nil},
		{"restart-sec 0", Spec{RestartDelay: ptr(time.Duration(0))}, 0, []string{"\nRestartSec=0s\n"}, nil},
		{"IPv4-mapped address unmapped (backend)", Spec{AdvertiseIP: "::ffff:10.0.0.1"}, 0, []string{" -p 10.0.0.1:%i:80 "}, []string{"ffff", "[::"}},
		{"IPv4-mapped address unmapped (sidekick)", Spec{AdvertiseIP: "::ffff:10.0.0.1"}, 1,
			[]string{"--key /services/apache/10.0.0.1:%i --value 10.0.0.1:%i ", "--check-http http://10.0.0.1:%i/ "}, []string{"ffff"}},
		{"backend: network, env guard, pull, start timeout", Spec{}, 0, []string{
			"\nWants=network-online.target\nAfter=network-online.target\n",
			"\nExecStartPre=/bin/sh -c \"test -n \\\"$$1\\\" || { echo \\\"COREOS_PRIVATE_IPV4 is not set in /etc/environment\\\" >&2; exit 1; }\" check-env ${COREOS_PRIVATE_IPV4}\n",
			"\nExecStartPre=-/usr/bin/docker pull httpd:2.4\n", "\nTimeoutStartSec=15min\n",
		}, []string{"TimeoutStartSec=0"}},
		{"backend: a literal address needs no guard", Spec{AdvertiseIP: "10.0.0.5"}, 0, []string{"-p 10.0.0.5:%i:80"}, []string{"check-env", "EnvironmentFile"}},
		{"exec backend without {ip}: no guard, no start timeout", execSpec("{port}"), 0,
			[]string{"\nExecStart=/usr/bin/srv %i\n", "After=network-online.target"}, []string{"check-env", "TimeoutStartSec"}},
		{"exec backend with {ip}: guard", execSpec("--bind", "{ip}:{port}"), 0,
			[]string{"check-env ${COREOS_PRIVATE_IPV4}\n", "\nExecStart=/usr/bin/srv --bind ${COREOS_PRIVATE_IPV4}:%i\n"}, nil},
		{"sidekick has no [Install]", Spec{}, 1, nil, []string{"[Install]", "WantedBy"}},
		{"backend keeps [Install]", Spec{}, 0, []string{"\n[Install]\nWantedBy=multi-user.target\n"}, nil},
		{"LB keeps [Install]", Spec{}, 2, []string{"\n[Install]\nWantedBy=multi-user.target\n"}, nil},
		{"--config for register", Spec{ConfigFile: "/etc/confwatch/etcd.toml"}, 1, []string{" register --config /etc/confwatch/etcd.toml --key "}, nil},
		{"--config for run", Spec{ConfigFile: "/etc/confwatch/etcd.toml"}, 2, []string{" run --confdir /etc/confd --config /etc/confwatch/etcd.toml --ack-prefix /confwatch/acks\n"}, nil},
		{"no --config by default", Spec{}, 2, nil, []string{"--config"}},
		{"LB: exit 2 is not restarted", Spec{}, 2, []string{"\nRestart=on-failure\nRestartSec=5s\nRestartPreventExitStatus=2\n"}, nil},
		{"sidekick: exit 2 is not restarted", Spec{}, 1, []string{"\nRestartPreventExitStatus=2\n"}, nil},
		{"backend: its own exit 2 is restarted", Spec{}, 0, nil, []string{"RestartPreventExitStatus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Generate(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			checkSpec(t, tc.spec)
			got := string(files[tc.file].Data)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s lacks %q:\n%s", files[tc.file].Name, w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("%s has %q:\n%s", files[tc.file].Name, n, got)
				}
			}
		})
	}
}

// TestGenerateOnlyUnits: Generate returns unit files only; the README is
// Readme's, so an output directory holds nothing but units.
func TestGenerateOnlyUnits(t *testing.T) {
	files, err := Generate(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d files, want the 3 units", len(files))
	}
	for _, f := range files {
		if err := CheckUnitName(f.Name); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestReadme(t *testing.T) {
	fleet := func(s Spec) Spec { s.Flavor = FlavorFleet; return s }
	for _, tc := range []struct {
		name string
		spec Spec
		want []string
		not  []string
	}{
		{"systemd: guards, confdir, enabling", Spec{}, []string{
			"`allow_empty = true`", "answering 503", "more than half the backends", "confwatch render --force --confdir /etc/confd",
			"--max-shrink PERCENT", "not the sidekick", "systemctl enable --now nginx_lb.service apache@8080.service",
			"`conf.d/apache.toml` and `templates/apache.tmpl`", "renders every resource in `/etc/confd`", "its own `--confdir`",
			"the drain barrier, at most 30s", "`--drain 2s` after that", "`--config FILE`",
			"write access to that prefix only", "confwatch status --ack-prefix /confwatch/acks",
		}, []string{"apache-discovery@8080.service"}},
		{"no barrier", Spec{AckPrefix: AckOff}, []string{"waits 2s (`--drain`)"}, []string{"barrier", "--ack-prefix"}},
		{"max-shrink given", Spec{MaxShrink: ptr(80)}, []string{"`max_shrink = \"80%\"`: a drop of more than 80% of the backends"}, []string{"half"}},
		{"max-shrink 100", Spec{MaxShrink: ptr(100)}, []string{"the shrink guard is off"}, []string{"held back"}},
		{"no drain", Spec{AckPrefix: AckOff, Drain: ptr(time.Duration(0))}, []string{"no `--drain`"}, []string{"waits"}},
		{"config file", Spec{ConfigFile: "/etc/confwatch/etcd.toml"}, []string{"read `/etc/confwatch/etcd.toml` (`--config`)"}, nil},
		{"fleet: LB on any machine", fleet(Spec{}), []string{"may place `nginx_lb.service` on any machine without a backend (`Conflicts=apache@*.service`)", "`--lb-machine-metadata KEY=VALUE`", "submit and start only its backend"}, []string{"systemctl enable"}},
		{"fleet: LB without conflicts", fleet(Spec{LBConflicts: []string{}}), []string{"may place `nginx_lb.service` on any machine, which"}, nil},
		{"fleet: pinned LB", fleet(Spec{LBMachineMetadata: []string{"role=edge"}}), []string{"only on machines with role=edge"}, []string{"any machine"}},
		{"fleet: global LB", fleet(Spec{GlobalLB: true}), []string{"runs on every machine"}, []string{"any machine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Readme(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(strings.Fields(string(data)), " ") // sentences span lines
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("README lacks %q:\n%s", w, data)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("README has %q:\n%s", n, data)
				}
			}
		})
	}
}
