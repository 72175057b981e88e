package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestGenerateUnitsWritesAllOrNothing: README, Commands: generate-units
// "refuses to overwrite without --force", and units.Outputs.Write's contract:
// it "refuses, before writing anything, files that exist (without Force) or
// cannot be written". Hostile outputs: a confdir file that already exists,
// and a confdir that cannot be created (its parent is a regular file). In
// both, generate-units fails and the unit directory stays empty: no half
// install whose load balancer unit reads a confdir that was never written.
func TestGenerateUnitsWritesAllOrNothing(t *testing.T) {
	tests := []struct {
		name    string
		confdir func(t *testing.T, dir string) string
	}{
		{"existing confdir file", func(t *testing.T, dir string) string {
			c := filepath.Join(dir, "confd")
			must(t, os.MkdirAll(filepath.Join(c, "conf.d"), 0o755))
			must(t, os.WriteFile(filepath.Join(c, "conf.d", "apache.toml"), []byte("mine\n"), 0o644))
			return c
		}},
		{"confdir under a file", func(t *testing.T, dir string) string {
			f := filepath.Join(dir, "afile")
			must(t, os.WriteFile(f, nil, 0o644))
			return filepath.Join(f, "confd")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := tt.confdir(t, dir)
			units := filepath.Join(dir, "units")
			must(t, os.Mkdir(units, 0o755))
			before := names(t, dir)
			_, stderr, code := runUnitsCLI(t, "generate-units", "--service", "apache", "--advertise-ip", "10.0.0.5",
				"--output", units, "--with-confdir", conf)
			if code == 0 {
				t.Fatalf("generate-units succeeded\n%s", stderr)
			}
			if left := names(t, units); len(left) != 0 {
				t.Errorf("failed generate-units left %v in %s\n%s", left, units, stderr)
			}
			if after := names(t, dir); !slices.Equal(after, before) {
				t.Errorf("failed generate-units changed %s: %v, was %v", dir, after, before)
			}
			if p := filepath.Join(conf, "conf.d", "apache.toml"); tt.name == "existing confdir file" && read(t, p) != "mine\n" {
				t.Errorf("existing %s overwritten: %q", p, read(t, p))
			}
		})
	}
}

// names lists the entries of dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
