package units

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/sdbox"
)

// needPython skips when the stand-ins cannot run.
func needPython(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not booting a real systemd")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("python3 not installed: needed as the test backend and confwatch stub")
	}
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
	needPython(t)
	nasty := []string{"100% $HOME ${HOME} \\ done", "'x'", ";", "", "{port}", `a"b`, "%i", "$$", `\n`}
	s := DefaultSpec()
	s.Runtime, s.AdvertiseIP, s.EtcdUnit = RuntimeExec, "127.0.0.1", ""
	s.Confwatch = "/var/lib/cwtest/bin$HOME 100%/confwatch" // issue 13 item 15: $ and % in the executable path
	s.BackendExec = append([]string{"/usr/bin/python3", "/var/lib/cwtest/backend.py"}, nasty...)
	files, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	var ufs []sdbox.UnitFile
	for _, f := range files[:3] {
		ufs = append(ufs, sdbox.UnitFile{Name: f.Name, Content: string(f.Data)})
	}
	box := sdbox.Start(t, ufs...)
	for p, data := range map[string]string{s.Confwatch: stubConfwatch, "/var/lib/cwtest/backend.py": backendScript} {
		if err := box.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := box.Systemctl("start", "apache@8080.service"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if err := box.WaitActive("apache-discovery@8080.service", 10*time.Second); err != nil {
		t.Fatalf("sidekick not active (Type=notify, READY=1 from the stub): %v", err)
	}
	bd := box.Root()
	wantArgs := append([]string{}, nasty...)
	wantArgs[4] = "8080" // {port}
	readJSON(t, filepath.Join(bd, "var/lib/cwtest/argv.json"), wantArgs)
	readJSON(t, filepath.Join(bd, "var/lib/cwtest/register.json"), []string{"register", "--key", "/services/apache/127.0.0.1:8080",
		"--value", "127.0.0.1:8080", "--value-format", "hostport", "--ttl", "30s", "--ack-prefix", "/confwatch/acks", "--drain-timeout", "30s", "--drain", "2s", "--check-http", "http://127.0.0.1:8080/", "--interval", "5s"})
	if out, err := box.Systemctl("stop", "apache@8080.service"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	order, _ := os.ReadFile(filepath.Join(bd, "var/lib/cwtest/order"))
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
