package resource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHoldKeys: a resource with reload_unit holds by default (2 draining
// generations, 60s); max_draining = 0 turns it off; a reload_cmd or no
// reload has no hold, and asking for one there is an error.
func TestHoldKeys(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       Hold
		errKey     string
	}{
		{"reload_unit, unset", "reload_unit = \"nginx.service\"\n", Hold{DefaultMaxDraining, DefaultMaxHold}, ""},
		{"reload_unit, set", "reload_unit = \"nginx.service\"\nmax_draining = 5\nmax_hold = \"10s\"\n", Hold{5, 10 * time.Second}, ""},
		{"reload_unit, off", "reload_unit = \"nginx.service\"\nmax_draining = 0\n", Hold{0, DefaultMaxHold}, ""},
		{"reload_cmd, unset", "reload_cmd = \"true\"\n", Hold{0, DefaultMaxHold}, ""},
		{"no reload", "", Hold{0, DefaultMaxHold}, ""},
		{"reload_cmd, set", "reload_cmd = \"true\"\nmax_draining = 2\n", Hold{}, "max_draining"},
		{"negative", "reload_unit = \"nginx.service\"\nmax_draining = -1\n", Hold{}, "max_draining"},
		{"negative hold", "reload_unit = \"nginx.service\"\nmax_hold = \"-1s\"\n", Hold{}, "max_hold"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, "r.toml")
			body := "[template]\nsrc = \"t\"\ndest = \"/tmp/r\"\nkeys = [\"/k\"]\n" + tt.body
			if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			r, probs := Load(f, Options{ConfDir: dir})
			if tt.errKey != "" {
				if r != nil || probs.Err() == nil || !strings.Contains(probs.Err().Error(), tt.errKey) {
					t.Fatalf("got %v, %v; want an error naming %s", r, probs.Err(), tt.errKey)
				}
				return
			}
			if r == nil {
				t.Fatal(probs.Err())
			}
			if r.Hold != tt.want {
				t.Fatalf("Hold = %+v, want %+v", r.Hold, tt.want)
			}
		})
	}
}

// TestHoldAgentDefaults: confwatch.toml's max_draining and max_hold are the
// defaults of resources with a reload_unit; a resource's own keys beat them.
func TestHoldAgentDefaults(t *testing.T) {
	unit := "reload_unit = \"nginx.service\"\n"
	for _, tt := range []struct {
		name, body string
		agent      Hold
		want       Hold
	}{
		{"agent default", unit, Hold{5, 10 * time.Second}, Hold{5, 10 * time.Second}},
		{"agent turns it off", unit, Hold{0, time.Minute}, Hold{0, time.Minute}},
		{"resource beats agent", unit + "max_draining = 1\nmax_hold = \"2s\"\n", Hold{0, time.Minute}, Hold{1, 2 * time.Second}},
		{"no unit, no hold", "reload_cmd = \"true\"\n", Hold{5, time.Minute}, Hold{0, time.Minute}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, "r.toml")
			body := "[template]\nsrc = \"t\"\ndest = \"/tmp/r\"\nkeys = [\"/k\"]\n" + tt.body
			if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			r, probs := Load(f, Options{ConfDir: dir, Hold: &tt.agent})
			if r == nil {
				t.Fatal(probs.Err())
			}
			if r.Hold != tt.want {
				t.Fatalf("Hold = %+v, want %+v", r.Hold, tt.want)
			}
		})
	}
}
