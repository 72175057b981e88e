package units

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenSpecs are the main option sets; each has a directory in testdata/.
func goldenSpecs() map[string]Spec {
	classic := DefaultSpec()
	fleet := DefaultSpec()
	fleet.Flavor = FlavorFleet
	global := fleet
	global.GlobalLB = true
	global.Runtime = RuntimePodman
	global.HealthCheck = CheckNone
	global.MachineMetadata = []string{"role=web", "region=eu-west"}
	global.LBMachineMetadata = []string{"role=edge"}
	global.Drain, global.RestartDelay = ptr(2*time.Minute), ptr(time.Duration(0)) // TimeoutStopSec=; RestartSec=0s
	// No LBConflicts: fleet refuses Conflicts= next to Global=true.
	exec := DefaultSpec()
	exec.Service, exec.LBName, exec.Runtime = "api", "api_lb", RuntimeExec
	exec.BackendExec = []string{"/usr/bin/python3", "-m", "http.server", "{port}", "--bind", "{ip}"}
	exec.AdvertiseIP = "10.0.0.5"
	exec.Endpoints = []string{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}
	exec.CertFile, exec.KeyFile, exec.CAFile = "/etc/confwatch/client.crt", "/etc/confwatch/client.key", "/etc/confwatch/ca.crt"
	exec.KeyPrefix, exec.HealthCheck = "/lb/api", CheckTCP
	exec.TTL, exec.Interval, exec.Rise, exec.Fall = 10*time.Second, 2*time.Second, 2, 3
	exec.Restart, exec.RestartDelay, exec.EtcdUnit = "always", ptr(1500*time.Millisecond), ""
	exec.Drain, exec.ConfigFile, exec.MaxShrink = ptr(time.Duration(0)), "/etc/confwatch/etcd.toml", ptr(80)
	exec.Confwatch, exec.ConfDir, exec.LBPort = "/opt/confwatch/bin/confwatch", "/etc/confwatch/confd", 8080
	exec.LBListen = "10.0.0.5"
	quirky := DefaultSpec()
	quirky.BackendImage = "registry.example.com:5000/team/web:1.2"
	quirky.BackendExec = []string{"sh", "-c", `echo "100% $HOME \ done" 'x'`, ";", ""}
	quirky.HealthPath = "/health%20check?full=1&x=$y"
	quirky.EnvironmentFile = "/etc/my env/100%.env"
	quirky.AdvertiseEnv = "HOST_IP"
	return map[string]Spec{"systemd-classic": classic, "fleet-classic": fleet,
		"fleet-global-podman": global, "systemd-exec-tls": exec, "systemd-escaping": quirky}
}

func TestGenerateGolden(t *testing.T) {
	for name, spec := range goldenSpecs() {
		t.Run(name, func(t *testing.T) {
			files, err := Generate(spec)
			if err != nil {
				t.Fatal(err)
			}
			readme, err := Readme(spec)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, File{Name: "README.md", Data: readme})
			conf, err := ConfDir(spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range conf {
				files = append(files, File{Name: "confdir/" + f.Name, Data: f.Data})
			}
			dir := filepath.Join("testdata", name)
			for _, f := range files {
				golden(t, filepath.Join(dir, filepath.FromSlash(f.Name)), f.Data)
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGeneratedUnitsLintClean: every golden set passes Lint and Verify.
func TestGeneratedUnitsLintClean(t *testing.T) {
	for name, spec := range goldenSpecs() {
		t.Run(name, func(t *testing.T) {
			files, err := Generate(spec)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for _, f := range files {
				if !strings.HasSuffix(f.Name, ".service") {
					continue
				}
				for _, fd := range Lint(f.Name, f.Data) {
					t.Errorf("lint: %v", fd)
				}
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fs, err := Verify(context.Background(), dir, nil)
			if errors.Is(err, ErrNoSystemdAnalyze) {
				t.Skip("systemd-analyze is not installed: cannot verify generated units")
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range fs {
				t.Errorf("systemd-analyze verify: %v", fd)
			}
		})
	}
}
