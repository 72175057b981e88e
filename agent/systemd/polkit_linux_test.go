package systemd

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/sdbox"
)

// TestRealPolkitRule proves contrib/polkit/50-confwatch.rules against systemd, dbus-daemon
// and polkitd in a box: the user confwatch may reload or restart nginx.service (in every
// reload mode), and nothing else.
func TestRealPolkitRule(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/lib/polkit-1/polkitd"); err != nil {
		t.Skipf("polkitd not installed: %v", err)
	}
	box := sdbox.Start(t)
	rules, err := os.ReadFile("../../contrib/polkit/50-confwatch.rules")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	site := []byte("server { listen 127.0.0.1:" + strconv.Itoa(port) + "; }\n")
	for path, data := range map[string][]byte{
		"/etc/polkit-1/rules.d/50-confwatch.rules": rules,
		"/etc/nginx/sites-enabled/default":         site,
	} {
		if err := box.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := box.Run("useradd", "--system", "--no-create-home", "confwatch"); err != nil {
		t.Fatal(out, err)
	}
	start(t, box, "dbus.service", "polkit.service", "nginx.service")
	tests := []struct {
		verb, unit string
		allowed    bool
	}{
		{"reload", "nginx.service", true},
		{"restart", "nginx.service", true},
		{"reload-or-restart", "nginx.service", true},
		{"try-reload-or-restart", "nginx.service", true},
		{"stop", "nginx.service", false},
		{"start", "nginx.service", false},
		{"reload", "dbus.service", false},
		{"restart", "polkit.service", false},
	}
	for _, tt := range tests {
		t.Run(tt.verb+" "+tt.unit, func(t *testing.T) {
			out, err := box.Run("setpriv", "--reuid=confwatch", "--regid=confwatch", "--init-groups",
				"systemctl", "--no-ask-password", tt.verb, tt.unit)
			if (err == nil) != tt.allowed {
				t.Errorf("allowed = %v, want %v: %v", err == nil, tt.allowed, err)
			}
			if !tt.allowed && !strings.Contains(out, "authentication required") {
				t.Errorf("denied for another reason: %s", out)
			}
		})
	}
	if s := activeState(t, box, "nginx.service"); s != "active" {
		t.Errorf("nginx.service is %s", s)
	}
}
