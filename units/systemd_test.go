package units

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sdbox finds shared/tools/sdbox (a throwaway real systemd) or skips.
func sdbox(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not booting a real systemd")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: cannot boot a real systemd with sdbox")
	}
	p := os.Getenv("CONFWATCH_SDBOX")
	if p == "" {
		p, _ = filepath.Abs("../../shared/tools/sdbox")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("sdbox not found at %s (set CONFWATCH_SDBOX): %v", p, err)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed: needed as the test backend and confwatch stub")
	}
	return p
}

// stubConfwatch stands in for `confwatch register`: it records its
// arguments, says READY=1 and, on SIGTERM, records that it stopped, late
// enough that a backend stopped concurrently would record first.
const stubConfwatch = `#!/usr/bin/python3
import json, os, signal, socket, sys, time
open('/var/lib/cwtest/register.json', 'w').write(json.dumps(sys.argv[1:]))
def stop(*_):
    time.sleep(0.3); open('/var/lib/cwtest/order', 'a').write('sidekick\n'); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
addr = os.environ['NOTIFY_SOCKET']
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b'READY=1', '\0' + addr[1:] if addr[0] == '@' else addr)
while True: time.sleep(1)
`

const backendScript = `import json, signal, sys, time
open('/var/lib/cwtest/argv.json', 'w').write(json.dumps(sys.argv[1:]))
def stop(*_):
    open('/var/lib/cwtest/order', 'a').write('backend\n'); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True: time.sleep(1)
`

// TestGeneratedUnitsUnderSystemd boots a real systemd: the backend runs
// with exactly the arguments intended (escaping), starting it starts the
// sidekick with the intended register command, and stopping the backend
// stops the sidekick first.
func TestGeneratedUnitsUnderSystemd(t *testing.T) {
	box := sdbox(t)
	nasty := []string{"100% $HOME ${HOME} \\ done", "'x'", ";", "", "{port}", `a"b`, "%i", "$$", `\n`}
	s := DefaultSpec()
	s.Runtime, s.AdvertiseIP, s.EtcdUnit = RuntimeExec, "127.0.0.1", ""
	s.BackendExec = append([]string{"/usr/bin/python3", "/var/lib/cwtest/backend.py"}, nasty...)
	files, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var paths []string
	for _, f := range files[:3] {
		paths = append(paths, filepath.Join(dir, "units", f.Name))
	}
	if err := WriteFiles(filepath.Join(dir, "units"), files[:3], false); err != nil {
		t.Fatal(err)
	}
	bd := filepath.Join(dir, "box")
	run := func(args ...string) string {
		out, err := exec.Command(box, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("sdbox %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(append([]string{"up", bd}, paths...)...)
	t.Cleanup(func() { _ = exec.Command(box, "down", bd).Run() })
	if err := os.MkdirAll(filepath.Join(bd, "root/var/lib/cwtest"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{s.Confwatch: stubConfwatch, "/var/lib/cwtest/backend.py": backendScript} {
		if err := os.WriteFile(filepath.Join(bd, "root", p), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run("sh", bd, "systemctl", "start", "apache@8080.service")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := exec.Command(box, "sh", bd, "systemctl", "is-active", "apache-discovery@8080.service").Output()
		if strings.TrimSpace(string(out)) == "active" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sidekick not active (Type=notify, READY=1 from the stub): %s", out)
		}
	}
	wantArgs := append([]string{}, nasty...)
	wantArgs[4] = "8080" // {port}
	readJSON(t, filepath.Join(bd, "root/var/lib/cwtest/argv.json"), wantArgs)
	readJSON(t, filepath.Join(bd, "root/var/lib/cwtest/register.json"), []string{"register", "--key", "/services/apache/127.0.0.1:8080",
		"--value", "127.0.0.1:8080", "--ttl", "30s", "--check-http", "http://127.0.0.1:8080/", "--interval", "5s"})
	run("sh", bd, "systemctl", "stop", "apache@8080.service")
	order, _ := os.ReadFile(filepath.Join(bd, "root/var/lib/cwtest/order"))
	if string(order) != "sidekick\nbackend\n" {
		t.Errorf("stop order %q, want the sidekick stopped before the backend", order)
	}
}

func readJSON(t *testing.T, path string, want []string) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, err := os.ReadFile(path)
		if err == nil && json.Unmarshal(data, &got) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written: %v", path, err)
		}
	}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("%s:\n got %q\nwant %q", filepath.Base(path), got, want)
	}
}
