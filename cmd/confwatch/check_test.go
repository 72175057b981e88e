package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCheckReportsEveryProblemWithPosition covers the bad inputs a user
// makes, each reported as file:line:col without touching etcd.
func TestCheckReportsEveryProblemWithPosition(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, d *confd)
		want  []string
	}{
		{"ok", func(t *testing.T, d *confd) { d.classic(t, "") }, []string{"ok: 1 template resource"}},
		{"toml syntax", func(t *testing.T, d *confd) {
			d.template(t, "nginx.tmpl")
			d.resource(t, "bad", "src = \"nginx.tmpl\"\ndest = \"/tmp/x\n")
		}, []string{"conf.d/bad.toml:3:"}},
		{"toml type", func(t *testing.T, d *confd) {
			d.template(t, "nginx.tmpl")
			d.resource(t, "bad", "src = \"nginx.tmpl\"\ndest = \"/tmp/x\"\nkeys = \"/a\"\n")
		}, []string{"conf.d/bad.toml:4:1: key \"template.keys\""}},
		{"unknown key", func(t *testing.T, d *confd) {
			d.classic(t, "relaod_cmd = \"x\"")
		}, []string{"conf.d/nginx.toml:7:1: unknown key \"template.relaod_cmd\""}},
		{"unknown function", func(t *testing.T, d *confd) {
			d.classic(t, "")
			must(t, os.WriteFile(filepath.Join(d.dir, "templates", "nginx.tmpl"), []byte("a\n{{ getvz \"/x\" }}\n"), 0o644))
		}, []string{"templates/nginx.tmpl:2:4:", "getvz"}},
		{"template syntax", func(t *testing.T, d *confd) {
			d.classic(t, "")
			must(t, os.WriteFile(filepath.Join(d.dir, "templates", "nginx.tmpl"), []byte("a\n\n{{ range }}\n"), 0o644))
		}, []string{"templates/nginx.tmpl:3"}},
		{"missing src", func(t *testing.T, d *confd) {
			d.resource(t, "nginx", "src = \"nope.tmpl\"\ndest = \"/tmp/x\"\nkeys = [\"/a\"]\n")
		}, []string{"conf.d/nginx.toml: src", "nope.tmpl"}},
		{"dest dir missing", func(t *testing.T, d *confd) {
			d.template(t, "nginx.tmpl")
			d.resource(t, "nginx", "src = \"nginx.tmpl\"\ndest = \"/nonexistent/dir/x\"\nkeys = [\"/a\"]\n")
		}, []string{"dest directory /nonexistent/dir"}},
		{"unknown owner", func(t *testing.T, d *confd) {
			d.classic(t, "")
			d.resource(t, "nginx", "src = \"nginx.tmpl\"\ndest = \"/tmp/x\"\nkeys = [\"/a\"]\nowner = \"no-such-user-cw\"\n")
		}, []string{"conf.d/nginx.toml:5:1: owner = \"no-such-user-cw\""}},
		{"unknown group", func(t *testing.T, d *confd) {
			d.classic(t, "")
			d.resource(t, "nginx", "src = \"nginx.tmpl\"\ndest = \"/tmp/x\"\nkeys = [\"/a\"]\ngroup = \"no-such-group-cw\"\n")
		}, []string{"conf.d/nginx.toml:5:1: group = \"no-such-group-cw\""}},
		{"missing keys and bad mode", func(t *testing.T, d *confd) {
			d.template(t, "nginx.tmpl")
			d.resource(t, "nginx", "src = \"nginx.tmpl\"\ndest = \"/tmp/x\"\nmode = \"rw\"\n")
		}, []string{"keys is empty", "conf.d/nginx.toml:4:1: mode = \"rw\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newConfd(t)
			tt.setup(t, d)
			code, out, errs := cw(t, d.args("", "check")...)
			if (tt.name == "ok") != (code == 0) {
				t.Fatalf("exit %d\n%s\n%s", code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tt.name == "missing src" && len(slices.DeleteFunc(strings.Split(out, "\n"), func(l string) bool { return !strings.Contains(l, "nope.tmpl") })) != 1 {
				t.Errorf("the missing src is not reported once:\n%s", out)
			}
		})
	}
}

func TestStrictConfigFile(t *testing.T) {
	d := newConfd(t)
	d.classic(t, "")
	cfg := filepath.Join(d.dir, "confwatch.toml")
	must(t, os.WriteFile(cfg, []byte("log_level = \"debug\"\n[etcd]\nendpoint = [\"x\"]\n"), 0o644))
	code, _, errs := cw(t, "check", "--confdir", d.dir, "--config", cfg)
	if code != exitUsage || !strings.Contains(errs, "confwatch.toml:3:1: unknown key \"etcd.endpoint\"") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
}

func TestEnvironmentBetweenFileAndFlags(t *testing.T) {
	d := newConfd(t)
	d.classic(t, "")
	cfg := filepath.Join(d.dir, "confwatch.toml")
	must(t, os.WriteFile(cfg, []byte("confdir = \"/nonexistent\"\n"), 0o644))
	// The file's confdir is wrong; the environment fixes it.
	t.Setenv("CONFWATCH_CONFDIR", d.dir)
	if code, out, errs := cw(t, "check", "--config", cfg); code != 0 {
		t.Fatalf("env did not beat the file: exit %d\n%s%s", code, out, errs)
	}
	// A flag beats the environment, after the command or before it.
	if code, _, _ := cw(t, "check", "--config", cfg, "--confdir", "/nonexistent2"); code == 0 {
		t.Fatal("flag did not beat the environment")
	}
	if code, _, _ := cw(t, "--confdir", "/nonexistent2", "check", "--config", cfg); code == 0 {
		t.Fatal("flag before the command did not beat the environment")
	}
}
