package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/internal/testetcd"
	"github.com/confwatch/confwatch/internal/testnginx"
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
	readme := filepath.Join(dir, "doc", "UNITS.md")
	args := []string{"generate-units", "--flavor", "fleet", "--service", "web", "--output", out,
		"--with-confdir", conf, "--readme", readme, "--machine-metadata", "role=web", "--lb-conflicts", "none",
		"--backend-exec", `/usr/bin/python3 -m http.server {port} --bind "{ip}"`, "--runtime", "exec"}
	_, stderr, code := runUnitsCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The unit reads /etc/confd; the files went elsewhere: one note says so.
	note := "note: nginx_lb.service reads the confdir /etc/confd (--confdir); the confdir files were written to " + conf
	if strings.Count(stderr, "note:") != 1 || !strings.Contains(stderr, note) {
		t.Errorf("stderr lacks one %q:\n%s", note, stderr)
	}
	for _, f := range []string{"doc/UNITS.md", "confd/conf.d/web.toml", "confd/templates/web.tmpl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// --output holds the unit files and nothing else.
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := "nginx_lb.service web-discovery@.service web@.service"; strings.Join(names, " ") != want {
		t.Errorf("--output holds %q, want only the units %q", names, want)
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
	os.Remove(filepath.Join(conf, "templates/web.tmpl"))
	if _, stderr, code := runUnitsCLI(t, args...); code == 0 || !strings.Contains(stderr, "--force") {
		t.Fatalf("second run: exit %d, %q; want a refusal naming --force", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(conf, "templates/web.tmpl")); err == nil {
		t.Error("a refused run wrote files")
	}
	if _, stderr, code := runUnitsCLI(t, append(args, "--force")...); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}

	// Another service shares the confdir without --force.
	if _, stderr, code := runUnitsCLI(t, "generate-units", "--service", "api", "--lb-port", "8080", "--with-confdir", conf, "--output", filepath.Join(dir, "api-units")); code != 0 {
		t.Fatalf("second service into the same confdir: exit %d: %s", code, stderr)
	}

	// The generated units pass lint-units (fleet rules and systemd-analyze verify),
	// given as the quick start's glob: everything in --output.
	all, _ := filepath.Glob(filepath.Join(out, "*"))
	if stdout, stderr, code := runUnitsCLI(t, append([]string{"lint-units"}, all...)...); code != 0 {
		t.Fatalf("lint-units on generated units: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestGenerateUnitsStdoutAndErrors(t *testing.T) {
	stdout, stderr, code := runUnitsCLI(t, "generate-units", "--advertise-ip", "10.0.0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# ==> apache@.service <==", "--key /services/apache/10.0.0.5:%i", "[Install]", "# ==> README.md <=="} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing (no warning, no note)", stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"service", []string{"--service", "my app"}, "--service:"},
		{"empty service", []string{"--service", ""}, "--service is empty"},
		{"empty confwatch", []string{"--confwatch", ""}, "--confwatch is empty"},
		{"lb-name", []string{"--lb-name", strings.Repeat("a", 250)}, "--lb-name: unit name"},
		{"health-path", []string{"--health-path", "/x\nExecStart=/bin/evil"}, "--health-path"},
		{"flavor", []string{"--flavor", "nomad"}, "--flavor:"},
		{"unterminated backend-exec", []string{"--backend-exec", `"unterminated`}, "--backend-exec"},
		{"relative backend-exec", []string{"--runtime", "exec", "--backend-exec", "srv"}, `--backend-exec: executable "srv" must be an absolute`},
		{"global-lb on systemd", []string{"--global-lb"}, "need --flavor fleet"},
		{"machine-metadata", []string{"--flavor", "fleet", "--machine-metadata", "role"}, `--machine-metadata: "role"`},
		{"lb-machine-metadata", []string{"--flavor", "fleet", "--lb-machine-metadata", "role"}, `--lb-machine-metadata: "role"`},
		{"ttl not whole seconds", []string{"--ttl", "1500ms"}, "--ttl: 1.5s is not a whole number of seconds"},
		{"zoned advertise-ip", []string{"--advertise-ip", "fe80::1%eth0"}, "--advertise-ip:"},
		{"max-shrink", []string{"--max-shrink", "120"}, "--max-shrink: 120"},
		{"negative drain", []string{"--drain", "-1s"}, "--drain: negative"},
		{"relative config", []string{"--config", "etcd.toml"}, "--config:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runUnitsCLI(t, append([]string{"generate-units"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("%q: exit %d, %q; want exit %d naming %q", tc.args, code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestGenerateUnitsFlags: what new flags put into the units printed on stdout.
func TestGenerateUnitsFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"defaults", nil, []string{"--ttl 30s --ack-prefix /confwatch/acks --drain-timeout 30s --drain 2s ", "\nRestartSec=5s\n", "\nTimeoutStopSec=62s\n",
			"run --confdir /etc/confd --ack-prefix /confwatch/acks\n"}, []string{"--config"}},
		{"no barrier", []string{"--ack-prefix", "none"}, []string{"--ttl 30s --drain 2s ", "\nTimeoutStopSec=32s\n"}, []string{"ack-prefix", "drain-timeout"}},
		{"barrier options", []string{"--ack-prefix", "/lb/acks", "--drain-timeout", "10s"}, []string{"--ack-prefix /lb/acks --drain-timeout 10s --drain 2s ", "\nTimeoutStopSec=42s\n"}, nil},
		{"restart-sec 0", []string{"--restart-sec", "0"}, []string{"\nRestartSec=0s\n"}, []string{"RestartSec=5s"}},
		{"drain 0", []string{"--drain", "0", "--ack-prefix", "none"}, nil, []string{"--drain", "TimeoutStopSec"}},
		{"long drain", []string{"--drain", "2m"}, []string{"--drain 120s", "\nTimeoutStopSec=3min\n"}, nil},
		{"config", []string{"--config", "/etc/confwatch/etcd.toml"},
			[]string{"register --config /etc/confwatch/etcd.toml --key", "run --confdir /etc/confd --config /etc/confwatch/etcd.toml --ack-prefix /confwatch/acks\n"}, nil},
		{"IPv4-mapped advertise-ip", []string{"--advertise-ip", "::ffff:10.0.0.1"},
			[]string{"-p 10.0.0.1:%i:80 ", "--check-http http://10.0.0.1:%i/ "}, []string{"ffff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readme := filepath.Join(t.TempDir(), "README.md") // stdout: the units only
			stdout, stderr, code := runUnitsCLI(t, append([]string{"generate-units", "--readme", readme}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stdout, "README") {
				t.Errorf("--readme given, yet the README is on stdout")
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("units lack %q:\n%s", w, stdout)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(stdout, n) {
					t.Errorf("units have %q:\n%s", n, stdout)
				}
			}
		})
	}
}

// TestGenerateUnitsWarnings: flags the chosen combination ignores are
// named on stderr; the units are still generated.
func TestGenerateUnitsWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // "" = no warning
	}{
		{"exec ignores the container", []string{"--runtime", "exec", "--backend-exec", "/bin/srv", "--backend-image", "x:1", "--container-port", "81"},
			"warning: --backend-image, --container-port ignored with --runtime exec"},
		{"literal IP ignores the variable", []string{"--advertise-ip", "10.0.0.5", "--advertise-env", "HOST_IP"},
			"warning: --advertise-env ignored with --advertise-ip"},
		{"no health check", []string{"--health-check", "none", "--rise", "2", "--fall", "3", "--interval", "1s", "--health-path", "/h"},
			"warning: --rise, --fall, --interval, --health-path ignored with --health-check none"},
		{"tcp check has no path", []string{"--health-check", "tcp", "--health-path", "/h"}, "warning: --health-path ignored with --health-check tcp"},
		{"used flags", []string{"--runtime", "podman", "--backend-image", "x:1", "--rise", "2"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runUnitsCLI(t, append([]string{"generate-units"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if tc.want == "" && stderr != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want %q", stderr, tc.want)
			}
		})
	}
}

// TestGenerateUnitsConfDirNote: the note appears only when the LB unit's
// --confdir is not where --with-confdir wrote.
func TestGenerateUnitsConfDirNote(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		name string
		args []string
		note bool
	}{
		{"staging dir", []string{"--with-confdir", "stage"}, true},
		{"same dir, relative", []string{"--with-confdir", "cd", "--confdir", filepath.Join(dir, "cd")}, false},
		{"same dir, absolute", []string{"--with-confdir", filepath.Join(dir, "abs"), "--confdir", filepath.Join(dir, "abs")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runUnitsCLI(t, append([]string{"generate-units", "--output", "u-" + strings.ReplaceAll(tc.name, " ", "-")}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := strings.Count(stderr, "note:"); got != map[bool]int{true: 1, false: 0}[tc.note] {
				t.Errorf("%d notes, want note=%v:\n%s", got, tc.note, stderr)
			}
		})
	}
}

// TestGeneratedConfDirRenders runs the generated resource with the real
// `confwatch render` against etcd: with no backend it applies (allow_empty)
// a configuration nginx -t accepts, answering 503; with backends it
// renders the upstream; losing them all at once is held back (max_shrink)
// until --force, as the README says.
func TestGeneratedConfDirRenders(t *testing.T) {
	nginx := testnginx.Bin(t)
	srv := testetcd.Start(t)
	d := newConfd(t)
	if _, stderr, code := runUnitsCLI(t, "generate-units", "--service", "web", "--lb-port", "8088", "--with-confdir", d.dir, "--output", filepath.Join(d.dir, "units")); code != 0 {
		t.Fatalf("generate-units: exit %d: %s", code, stderr)
	}
	// The generated dest is /etc/nginx/conf.d/web.conf: write into the test's directory instead.
	res := filepath.Join(d.dir, "conf.d", "web.toml")
	dest := filepath.Join(d.out, "web.conf")
	data := read(t, res)
	if !strings.Contains(data, `dest = "/etc/nginx/conf.d/web.conf"`) || !strings.Contains(data, "allow_empty = true") {
		t.Fatalf("generated resource:\n%s", data)
	}
	must(t, os.WriteFile(res, []byte(strings.Replace(data, "/etc/nginx/conf.d/web.conf", dest, 1)), 0o644))
	render := func(force bool) (int, string) {
		t.Helper()
		args := d.args(srv.Endpoint, "render", "--sync-only") // no nginx -t of /etc/nginx, no reload
		if force {
			args = append(args, "--force")
		}
		code, out, errs := cw(t, args...)
		return code, out + errs
	}
	check := func(want ...string) {
		t.Helper()
		got := read(t, dest)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("rendered config lacks %q:\n%s", w, got)
			}
		}
		if err := nginxCheckConf(t, nginx, dest); err != nil {
			t.Errorf("%v\nrendered:\n%s", err, got)
		}
	}

	if code, out := render(false); code != 0 {
		t.Fatalf("render with no backend: exit %d\n%s", code, out)
	}
	check("listen 8088;", "return 503;")

	srv.Put(t, "/services/web/127.0.0.1:8081", "127.0.0.1:8081")
	srv.Put(t, "/services/web/127.0.0.1:8082", "127.0.0.1:8082")
	if code, out := render(false); code != 0 {
		t.Fatalf("render with backends: exit %d\n%s", code, out)
	}
	check("upstream web_pool {\n    server 127.0.0.1:8081;\n    server 127.0.0.1:8082;\n}", "proxy_pass http://web_pool;")

	// More than half at once is held back (max_shrink), until --force.
	srv.Put(t, "/services/web/127.0.0.1:8083", "127.0.0.1:8083")
	srv.Put(t, "/services/web/127.0.0.1:8084", "127.0.0.1:8084")
	if code, out := render(false); code != 0 {
		t.Fatalf("render with four backends: exit %d\n%s", code, out)
	}
	withFour := read(t, dest)
	for _, p := range []string{"8081", "8082", "8083"} {
		srv.Delete(t, "/services/web/127.0.0.1:"+p)
	}
	if code, out := render(false); code != exitFailed || read(t, dest) != withFour {
		t.Fatalf("losing 3 of 4 backends at once: exit %d, want %d and dest unchanged (max_shrink)\n%s", code, exitFailed, out)
	}
	if code, out := render(true); code != 0 {
		t.Fatalf("render --force: exit %d\n%s", code, out)
	}
	check("server 127.0.0.1:8084;")

	// The last one leaving is applied (allow_empty): 503, not a dead upstream.
	srv.Delete(t, "/services/web/127.0.0.1:8084")
	if code, out := render(false); code != 0 {
		t.Fatalf("the last backend leaving: exit %d\n%s", code, out)
	}
	check("return 503;")
}

// nginxCheckConf runs `nginx -t` on a full configuration whose http block
// includes conf, as Debian's nginx.conf includes conf.d/*.conf.
func nginxCheckConf(t *testing.T, nginx, conf string) error {
	t.Helper()
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	full := fmt.Sprintf("pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n    access_log off;\n    include %s;\n}\n", dir, conf)
	must(t, os.WriteFile(main, []byte(full), 0o644))
	if out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-e", "stderr", "-c", main).CombinedOutput(); err != nil {
		return fmt.Errorf("nginx -t: %v\n%s", err, out)
	}
	return nil
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

// TestLintUnitsNotAUnit: a README among the files is one clear finding,
// and with no unit file left systemd-analyze is not run.
func TestLintUnitsNotAUnit(t *testing.T) {
	readme := filepath.Join(t.TempDir(), "README.md")
	must(t, os.WriteFile(readme, []byte("# units\n\n- `apache@.service`: the backend\n"), 0o644))
	stdout, stderr, code := runUnitsCLI(t, "lint-units", readme)
	want := readme + `: not a unit file: unit name "README.md" has unknown type "md"` + "\n"
	if code != exitFailed || stdout != want || strings.Contains(stderr, "Too few arguments") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and only %q", code, stdout, stderr, exitFailed, want)
	}
}

// TestGeneratedCommandLinesParse: the sidekick's `confwatch register` and
// the LB's `confwatch run` command lines, as generated, are accepted by
// the real commands' flags (with %i and the address variable expanded).
func TestGeneratedCommandLinesParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"defaults", nil},
		{"config, tls, tcp check, long drain", []string{"--config", "/etc/confwatch/etcd.toml", "--endpoints", "https://10.0.0.1:2379",
			"--cert-file", "/c.crt", "--key-file", "/c.key", "--ca-file", "/ca.crt", "--health-check", "tcp", "--rise", "2", "--fall", "3", "--drain", "2m"}},
		{"no health check, no drain", []string{"--health-check", "none", "--drain", "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readme := filepath.Join(t.TempDir(), "README.md")
			stdout, stderr, code := runUnitsCLI(t, append([]string{"generate-units", "--readme", readme}, tc.args...)...)
			if code != 0 {
				t.Fatalf("generate-units: exit %d: %s", code, stderr)
			}
			expand := strings.NewReplacer("%i", "8080", "${COREOS_PRIVATE_IPV4}", "10.0.0.5")
			var lines []string
			for _, l := range strings.Split(stdout, "\n") {
				if strings.HasPrefix(l, "ExecStart=/usr/local/bin/confwatch ") {
					lines = append(lines, expand.Replace(strings.TrimPrefix(l, "ExecStart=/usr/local/bin/confwatch ")))
				}
			}
			if len(lines) != 2 {
				t.Fatalf("want the register and run command lines, got %q", lines)
			}
			for _, l := range lines {
				parsed := false
				reg, run := registerCommand(), runCommand()
				reg.Action = func(c *cli.Context) error { parsed = true; _, err := registerOptions(c); return err }
				run.Action = func(*cli.Context) error { parsed = true; return nil }
				app := &cli.App{Name: "confwatch", Writer: io.Discard, ErrWriter: io.Discard, Commands: []*cli.Command{reg, run},
					ExitErrHandler: func(*cli.Context, error) {}}
				// Generated arguments need no unquoting here (no spaces or quotes).
				if err := app.Run(append([]string{"confwatch"}, strings.Fields(l)...)); err != nil || !parsed {
					t.Errorf("confwatch %s: %v", l, err)
				}
			}
		})
	}
}
