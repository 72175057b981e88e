package diag

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDecodeTOML(t *testing.T) {
	type conf struct {
		A string `toml:"a"`
		T struct {
			B int `toml:"b"`
		} `toml:"t"`
	}
	tests := []struct {
		name, text string
		want       string
	}{
		{"ok", "a = \"x\"\n[t]\nb = 1\n", ""},
		{"unknown top", "a = \"x\"\nzz = 1\n", `F:2:1: unknown key "zz"`},
		{"unknown in table", "[t]\nb = 1\n  cc = 2\n", `F:3:3: unknown key "t.cc"`},
		{"type error", "a = 1\n", "F:1:1: key \"a\": incompatible types: TOML value has type int64; destination has type string"},
		{"syntax", "a = \"x\nb=1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "F")
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			var c conf
			_, probs, err := DecodeTOML(p, &c, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "syntax" {
				if len(probs) != 1 || probs[0].Line != 1 {
					t.Fatalf("syntax error not positioned: %v", probs)
				}
				return
			}
			got := ""
			if len(probs) > 0 {
				probs[0].File = "F"
				got = probs[0].Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
