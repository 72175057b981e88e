package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runUnitsCLI runs generate-units / lint-units in-process.
func runUnitsCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{
		Name: "confwatch", Writer: &out, ErrWriter: &errb,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands:       []*cli.Command{generateUnitsCommand(), lintUnitsCommand()},
	}
	err := app.RunContext(context.Background(), append([]string{"confwatch"}, args...))
	if err != nil {
		code = 1
		if ec, ok := err.(cli.ExitCoder); ok {
			code = ec.ExitCode()
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func TestGenerateUnitsCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "units")
	conf := filepath.Join(dir, "confd")
	args := []string{"generate-units", "--flavor", "fleet", "--service", "web", "--output", out,
		"--with-confdir", conf, "--machine-metadata", "role=web", "--lb-conflicts", "none",
		"--backend-exec", `/usr/bin/python3 -m http.server {port} --bind "{ip}"`, "--runtime", "exec"}
	if _, stderr, code := runUnitsCLI(t, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"units/web@.service", "units/web-discovery@.service", "units/nginx_lb.service",
		"units/README.md", "confd/conf.d/nginx.toml", "confd/templates/nginx.tmpl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	backend, _ := os.ReadFile(filepath.Join(out, "web@.service"))
	if want := "ExecStart=/usr/bin/python3 -m http.server %i --bind ${COREOS_PRIVATE_IPV4}\n"; !strings.Contains(string(backend), want) {
		t.Errorf("backend lacks %q:\n%s", want, backend)
	}
	lb, _ := os.ReadFile(filepath.Join(out, "nginx_lb.service"))
	if strings.Contains(string(lb), "Conflicts=") {
		t.Errorf("--lb-conflicts none left a Conflicts= line:\n%s", lb)
	}

	// Existing files are not overwritten without --force, and nothing is written.
	os.Remove(filepath.Join(conf, "templates/nginx.tmpl"))
	if _, stderr, code := runUnitsCLI(t, args...); code == 0 || !strings.Contains(stderr, "--force") {
		t.Fatalf("second run: exit %d, %q; want a refusal naming --force", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(conf, "templates/nginx.tmpl")); err == nil {
		t.Error("a refused run wrote files")
	}
	if _, stderr, code := runUnitsCLI(t, append(args, "--force")...); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}

	// The generated units pass lint-units (fleet rules and systemd-analyze verify).
	units, _ := filepath.Glob(filepath.Join(out, "*.service"))
	if stdout, stderr, code := runUnitsCLI(t, append([]string{"lint-units"}, units...)...); code != 0 {
		t.Fatalf("lint-units on generated units: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestGenerateUnitsStdoutAndErrors(t *testing.T) {
	stdout, stderr, code := runUnitsCLI(t, "generate-units", "--advertise-ip", "10.0.0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# ==> apache@.service <==", "--key /services/apache/10.0.0.5:%i", "[Install]"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	for _, tc := range []struct{ flag, value, want string }{
		{"--service", "my app", "service:"},
		{"--health-path", "/x\nExecStart=/bin/evil", "health-path"},
		{"--flavor", "nomad", "flavor:"},
		{"--backend-exec", `"unterminated`, "--backend-exec"},
		{"--global-lb", "", "need flavor"},
	} {
		args := []string{"generate-units", tc.flag}
		if tc.value != "" {
			args = append(args, tc.value)
		}
		if _, stderr, code := runUnitsCLI(t, args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s %q: exit %d, %q; want exit %d naming %q", tc.flag, tc.value, code, stderr, exitUsage, tc.want)
		}
	}
}

func TestLintUnitsCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "apache-discovery@.service")
	data := "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[X-Fleet]\nMachineOf=apache@%i.service\nConflicts=apache@*.service\n"
	if err := os.WriteFile(bad, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runUnitsCLI(t, "lint-units", "--no-verify", bad)
	want := bad + `:6: fleet refuses this unit: peer "apache@%i.service"`
	if code != exitFailed || !strings.Contains(stdout, want) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, exitFailed, want)
	}
	if _, _, code := runUnitsCLI(t, "lint-units"); code != exitUsage {
		t.Errorf("no FILE: exit %d, want %d", code, exitUsage)
	}
}
