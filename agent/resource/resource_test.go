package resource

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParsers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want os.FileMode
		ok   bool
	}{{"", 0, true}, {"0644", 0o644, true}, {"0600", 0o600, true}, {"420", 0o644, true}, {"511", 0o777, true}, {"644", 0, false}, {"0o644", 0o644, true}, {"rw", 0, false}, {"077777", 0, false}} {
		got, err := parseMode(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMode(%q) = %o, %v", tt.in, got, err)
		}
	}
	for _, tt := range []struct {
		in   *string
		want float64
		ok   bool
	}{{nil, .5, true}, {ptr("30%"), .3, true}, {ptr("0.25"), .25, true}, {ptr("100%"), 1, true}, {ptr("150%"), 0, false}, {ptr("x"), 0, false}, {ptr("NaN"), 0, false}, {ptr("nan%"), 0, false}, {ptr("Inf"), 0, false}, {ptr("-0.1"), 0, false}} {
		got, err := parseShrink(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseShrink = %v, %v", got, err)
		}
	}
	for _, tt := range []struct {
		in       string
		min, max time.Duration
		ok       bool
	}{{"", 0, 0, true}, {"2s:10s", 2 * time.Second, 10 * time.Second, true}, {"1s", time.Second, 4 * time.Second, true}, {"5s:1s", 0, 0, false}, {"x", 0, 0, false}} {
		min, max, err := parseWait(tt.in)
		if (err == nil) != tt.ok || min != tt.min || max != tt.max {
			t.Errorf("parseWait(%q) = %v %v %v", tt.in, min, max, err)
		}
	}
}

func TestPrefixesAndGroups(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755))
	write := func(name, body string) {
		must(os.WriteFile(filepath.Join(dir, "conf.d", name), []byte("[template]\nsrc = \"t\"\ndest = \"/tmp/"+name+"\"\n"+body), 0o644))
	}
	write("a.toml", "keys = [\"/services/apache\", \"lb\"]\nprefix = \"/prod\"\nreload_unit = \"nginx.service\"\ncheck_cmd = \"nginx -t\"\n")
	write("b.toml", "keys = [\"/x/\"]\nreload_unit = \"nginx.service\"\ncheck_cmd = \"test -s {{.src}}\"\n")
	res, probs := LoadAll(Options{ConfDir: dir})
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	// A key without a leading / is read as confd reads it, with a warning
	// naming the line (issue 13 item 14).
	if len(probs) != 1 || !probs[0].Warning || !strings.Contains(probs[0].Error(), `a.toml:4:1: warning: keys[1] = "lb" does not start with /: it is read as "/lb"`) {
		t.Errorf("problems %v, want one warning for keys[1]", probs)
	}
	a, b := res[0], res[1]
	if a.Dirs[0] != "/prod/services/apache" || a.Dirs[1] != "/prod/lb" || b.Dirs[0] != "/x" {
		t.Errorf("dirs %v %v", a.Dirs, b.Dirs)
	}
	if a.Group() != b.Group() {
		t.Error("resources reloading the same unit are not one group")
	}
	if !a.InPlaceCheck() || b.InPlaceCheck() {
		t.Error("check_cmd without {{.src}} must run in place, with it on the staged file")
	}
	res, _ = LoadAll(Options{ConfDir: dir, Prefix: "/global"})
	if res[0].Dirs[0] != "/global/services/apache" {
		t.Errorf("global prefix does not replace the resource's: %v", res[0].Dirs)
	}
	if res[0].SrcPath != filepath.Join(dir, "templates", "t") {
		t.Errorf("src %s", res[0].SrcPath)
	}
}

func ptr(s string) *string { return &s }

func TestResourceChecks(t *testing.T) {
	tests := []struct {
		name, files string // files: "name|body" pairs separated by "\n--\n"
		want        string
	}{
		{"header with a comment", "a.toml|[template] # upstreams\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\n", ""},
		{"unknown command variable", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\ncheck_cmd = \"test -s {{.source}}\"\n", "only {{.src}} and {{.dest}}"},
		{"broken command template", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nreload_cmd = \"echo {{ .dest\"\n", "a.toml:5:1: command"},
		{"reload mode", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nreload_unit = \"x.service\"\nreload_mode = \"try-reload-or-restart\"\n", ""},
		{"unknown reload mode", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nreload_unit = \"x.service\"\nreload_mode = \"start\"\n",
			`reload_mode = "start": want reload, restart, reload-or-restart or try-reload-or-restart`},
		// issue 13 item 14: each of these was reported ok.
		{"dest ending in /", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a/\"\nkeys = [\"/a\"]\n", `a.toml:3:1: dest = "/tmp/a/" ends in /: name a file`},
		{"dest with ..", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/missing/../a\"\nkeys = [\"/a\"]\n", `a.toml:3:1: dest = "/tmp/missing/../a" has a .. element`},
		{"empty key", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"\"]\n", `a.toml:4:1: keys[0] is empty`},
		{"negative check timeout", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\ncheck_cmd = \"true\"\ncheck_cmd_timeout = \"-5s\"\n", "a.toml:6:1: check_cmd_timeout must not be negative"},
		{"negative reload timeout", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nreload_cmd_timeout = \"-1s\"\n", "a.toml:5:1: reload_cmd_timeout must not be negative"},
		{"uid out of range", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nuid = 4294967296\n", "a.toml:5:1: uid = 4294967296: want 0 to 4294967294"},
		{"negative gid", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\ngid = -1\n", "a.toml:5:1: gid = -1: want 0 to 4294967294"},
		{"mode 0000", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nmode = \"0000\"\n", `a.toml:5:1: mode = "0000" gives no permission at all`},
		{"decimal mode with a sticky bit", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nmode = \"644\"\n", `a.toml:5:1: mode = "644" has no leading 0, so it is read as decimal, as confd does (01204), and setuid, setgid and sticky bits are refused: write "0644" for octal`},
		{"quoted table name", "a.toml|[\"template\"]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\n", ""},
		{"dotted keys", "a.toml|template.src = \"t\"\ntemplate.dest = \"/tmp/a\"\ntemplate.keys = [\"/a\"]\n", ""},
		{"setuid mode", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nmode = \"04755\"\n", `a.toml:5:1: mode = "04755": setuid, setgid and sticky bits are refused`},
		{"same dest after cleaning", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/out/a.conf\"\nkeys = [\"/a\"]\n\n--\nb.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/out//./a.conf\"\nkeys = [\"/b\"]\n", "dest /tmp/out/a.conf is also written by"},
		{"byte order mark", "a.toml|\ufeff[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\n", ""},
		{"duplicate dest", "a.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\n\n--\nb.toml|[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/b\"]\n", "dest /tmp/a is also written by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range strings.Split(tt.files, "\n--\n") {
				name, body, _ := strings.Cut(f, "|")
				if err := os.WriteFile(filepath.Join(dir, "conf.d", name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, probs := LoadAll(Options{ConfDir: dir})
			err := probs.Err()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("problems %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReloadCmdGroupsByExpandedCommand(t *testing.T) {
	a := &Resource{Spec: Spec{Dest: "/a", ReloadCmd: "touch {{.dest}}.reloaded"}}
	b := &Resource{Spec: Spec{Dest: "/b", ReloadCmd: "touch {{.dest}}.reloaded"}}
	c := &Resource{Spec: Spec{Dest: "/c", ReloadCmd: "systemctl reload nginx"}}
	d := &Resource{Spec: Spec{Dest: "/d", ReloadCmd: "systemctl reload nginx"}}
	if a.Group() == b.Group() || c.Group() != d.Group() {
		t.Fatalf("groups %q %q %q %q", a.Group(), b.Group(), c.Group(), d.Group())
	}
}

// TestReloadBudgetDefault: a resource that reloads something gets the
// default budget unless it sets min_reload_interval ("0" turns it off); a
// resource without a reload gets none.
func TestReloadBudgetDefault(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       time.Duration
	}{
		{"reload_cmd, unset", "reload_cmd = \"true\"\n", DefaultMinReloadInterval},
		{"reload_unit, unset", "reload_unit = \"nginx.service\"\n", DefaultMinReloadInterval},
		{"reload_cmd, zero", "reload_cmd = \"true\"\nmin_reload_interval = \"0\"\n", 0},
		{"reload_cmd, set", "reload_cmd = \"true\"\nmin_reload_interval = \"250ms\"\n", 250 * time.Millisecond},
		{"no reload", "", 0},
		{"no reload, set", "min_reload_interval = \"2s\"\n", 2 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := filepath.Join(dir, "r.toml")
			body := "[template]\nsrc = \"t\"\ndest = \"/tmp/r\"\nkeys = [\"/k\"]\n" + tt.body
			if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			r, probs := Load(f, Options{ConfDir: dir})
			if r == nil {
				t.Fatal(probs.Err())
			}
			if r.MinInterval != tt.want {
				t.Fatalf("MinInterval = %v, want %v", r.MinInterval, tt.want)
			}
		})
	}
}

func TestNegativeReloadBudgetIsAnError(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "r.toml")
	body := "[template]\nsrc = \"t\"\ndest = \"/tmp/r\"\nkeys = [\"/k\"]\nmin_reload_interval = \"-1s\"\n"
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, probs := Load(f, Options{ConfDir: dir}); r != nil || !strings.Contains(probs.Err().Error(), "min_reload_interval") {
		t.Fatalf("got %v, %v; want a min_reload_interval error", r, probs.Err())
	}
}

// TestDirectoryResourceSaysReadOnce: conf.d/x.toml that is a directory was
// "read X: read X: is a directory" (issue 13 item 16); it is "not a regular
// file (a directory)", named once.
func TestDirectoryResourceSaysReadOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "conf.d", "x.toml")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	_, probs := LoadAll(Options{ConfDir: dir})
	if err := probs.Err(); err == nil || strings.Count(err.Error(), p) != 1 || !strings.Contains(err.Error(), "not a regular file (a directory)") {
		t.Fatalf("problems %v", err)
	}
}

// TestDecimalModeWarns: a mode without a leading 0 is read as decimal, as
// confd reads it ("511" is 0777), and check says so at its line.
func TestDecimalModeWarns(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "conf.d", "a.toml")
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte("[template]\nsrc = \"t\"\ndest = \"/tmp/a\"\nkeys = [\"/a\"]\nmode = \"511\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, probs := Load(f, Options{ConfDir: dir})
	ws := probs.Warnings()
	want := `a.toml:5:1: warning: mode = "511" has no leading 0, so it is read as decimal, as confd does: 0777; write "0777" if that is meant`
	if r == nil || r.FileMode != 0o777 || len(ws) != 1 || !strings.HasSuffix(ws[0].Error(), want) {
		t.Fatalf("got %v, warnings %v; want mode 0777 and %q", r, ws, want)
	}
}

// TestFIFOResourceIsRefusedNotWaitedOn: a FIFO in conf.d (or a link to
// /dev/zero) is refused as not a regular file; before, reading it blocked
// check, render and run for good, and no signal could stop them.
func TestFIFOResourceIsRefusedNotWaitedOn(t *testing.T) {
	dir := t.TempDir()
	confd := filepath.Join(dir, "conf.d")
	if err := os.MkdirAll(confd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(confd, "fifo.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(confd, "zero.toml")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, probs := LoadAll(Options{ConfDir: dir}); done <- probs.Err() }()
	select {
	case err := <-done:
		for _, want := range []string{"fifo.toml: cannot read: not a regular file (a FIFO)", "zero.toml: cannot read: not a regular file"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("problems %v, want %q", err, want)
			}
		}
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("LoadAll still reading a FIFO after 10s")
	}
}

// TestDuplicateDestThroughASymlink: two resources whose dests name one file,
// one of them through a symlink, are refused like two equal dests; before,
// check said ok and the second render overwrote the first's file.
func TestDuplicateDestThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	confd := filepath.Join(dir, "conf.d")
	for _, d := range []string{out, confd} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("app.conf", filepath.Join(out, "link.conf")); err != nil {
		t.Fatal(err)
	}
	for name, dest := range map[string]string{"app.toml": "app.conf", "b.toml": "link.conf"} {
		body := fmt.Sprintf("[template]\nsrc = \"t\"\ndest = %q\nkeys = [\"/a\"]\n", filepath.Join(out, dest))
		if err := os.WriteFile(filepath.Join(confd, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, probs := LoadAll(Options{ConfDir: dir})
	want := "are both " + filepath.Join(out, "app.conf") + ", through symlinks"
	if err := probs.Err(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("problems %v, want %q", err, want)
	}
}
