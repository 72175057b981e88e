package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

func putClassic(t *testing.T, srv *testetcd.Server) {
	for _, kv := range [][2]string{
		{"/services/apache/10.0.0.2:8080", "10.0.0.2:8080"},
		{"/services/apache/10.0.0.10:8080", "10.0.0.10:8080"},
		{"/services/apache/10.0.0.5:8081", "10.0.0.5:8081"},
		{"/services/apache2/other:1", "must-not-appear:1"},
	} {
		srv.Put(t, kv[0], kv[1])
	}
}

// TestRenderClassicLikeConfd renders the tutorial's resource and template
// from a real etcd; the golden file is what confd writes from the same keys.
func TestRenderClassicLikeConfd(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	d := newConfd(t)
	dest := d.classic(t, "")
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != 0 {
		t.Fatalf("render exit %d\n%s\n%s", code, out, errs)
	}
	golden(t, "classic.golden", read(t, dest))
	contains(t, "render output", out, "applied", "nginx ->")
	// An interactive command: its output alone, "applied" once, no log lines
	// unless asked for (--log-level info).
	if strings.Count(out+errs, "applied") != 1 || errs != "" {
		t.Errorf("render printed \"applied\" %d times, stderr %q; want once and nothing", strings.Count(out+errs, "applied"), errs)
	}
	if _, _, errs = cw(t, d.args(srv.Endpoint, "render", "--log-level", "info")...); !strings.Contains(errs, "read etcd") {
		t.Errorf("render --log-level info logged %q", errs)
	}
	// Rendering again changes nothing and says so.
	code, out, _ = cw(t, d.args(srv.Endpoint, "render")...)
	if code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("second render: exit %d\n%s", code, out)
	}
	entries, _ := os.ReadDir(d.out)
	if len(entries) != 1 {
		t.Fatalf("stray files next to dest: %v", entries)
	}
}

// TestConfdCommandLine runs confd's own command line.
func TestConfdCommandLine(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	d := newConfd(t)
	dest := d.classic(t, "")
	code, out, errs := cw(t, "-onetime", "-backend", "etcdv3", "-confdir", d.dir, "-node", srv.Endpoint,
		"-log-level", "debug", "-state-dir", d.state, "-config", filepath.Join(d.dir, "confwatch.toml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	golden(t, "classic.golden", read(t, dest))
}

// TestFlagsBeatConfdToml: confd.toml points at a dead node; the flag wins.
func TestFlagsBeatConfdToml(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	d := newConfd(t)
	dest := d.classic(t, "")
	must(t, os.WriteFile(filepath.Join(d.dir, "confd.toml"), []byte("backend = \"etcdv3\"\nnodes = [\"127.0.0.1:1\"]\nwatch = true\nauth_token = \"x\"\n"), 0o644))
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	contains(t, "warnings", errs, `confd key \"auth_token\" has no meaning for confwatch`)
	golden(t, "classic.golden", read(t, dest))
}

func TestUnreachableEtcdIsBoundedAndNamed(t *testing.T) {
	d := newConfd(t)
	d.classic(t, "")
	code, _, errs := cw(t, d.args("http://127.0.0.1:1", "render", "--dial-timeout", "1s")...)
	if code != exitNoEtcd {
		t.Fatalf("exit %d, want %d\n%s", code, exitNoEtcd, errs)
	}
	contains(t, "stderr", errs, "127.0.0.1:1", "etcd unreachable")
}

func TestGuards(t *testing.T) {
	srv := testetcd.Start(t)
	d := newConfd(t)
	dest := d.classic(t, "")
	must(t, os.WriteFile(dest, []byte("last good\n"), 0o644))
	// Empty directory: refused, file kept, exit 1.
	code, out, _ := cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitFailed || read(t, dest) != "last good\n" {
		t.Fatalf("empty read: exit %d, dest %q\n%s", code, read(t, dest), out)
	}
	contains(t, "render output", out, "refused: /services/apache/ empty")
	// Ten backends, then seven vanish: refused as a collapse; --force applies it.
	for i := 0; i < 10; i++ {
		srv.Put(t, "/services/apache/b"+string(rune('0'+i)), "10.0.0."+string(rune('0'+i))+":80")
	}
	if code, out, _ = cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("render: %d\n%s", code, out)
	}
	for i := 0; i < 7; i++ {
		srv.Delete(t, "/services/apache/b"+string(rune('0'+i)))
	}
	before := read(t, dest)
	code, out, _ = cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitFailed || read(t, dest) != before {
		t.Fatalf("collapse not refused: exit %d\n%s", code, out)
	}
	contains(t, "render output", out, "shrank from 10 to 3 keys")
	code, out, _ = cw(t, d.args(srv.Endpoint, "plan")...)
	contains(t, "plan", out, "action: none: refused", "7 removed")
	if code != exitFailed {
		t.Errorf("plan of a refused resource: exit %d", code)
	}
	if code, out, _ = cw(t, d.args(srv.Endpoint, "render", "--force")...); code != 0 || read(t, dest) == before {
		t.Fatalf("--force: exit %d\n%s", code, out)
	}
	// After a forced render the new size is the baseline.
	if code, out, _ = cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("render after --force: %d\n%s", code, out)
	}
}

func TestPlanChangesNothing(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	d := newConfd(t)
	dest := d.classic(t, `check_cmd = "test -s {{.src}}"
reload_cmd = "true"`)
	code, out, errs := cw(t, d.args(srv.Endpoint, "plan")...)
	if code != exitFailed {
		t.Fatalf("plan with pending change: exit %d\n%s%s", code, out, errs)
	}
	contains(t, "plan", out, "etcd revision", "+++ "+dest+" (rendered)", "+    server 10.0.0.10:8080;", "action: check + swap + reload_cmd")
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("plan wrote dest")
	}
	if code, _, _ = cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatal("render failed")
	}
	srv.Put(t, "/services/apache/10.0.0.7:80", "10.0.0.7:80")
	code, out, _ = cw(t, d.args(srv.Endpoint, "plan")...)
	contains(t, "plan", out, "1 added or changed, 0 removed", "+ /services/apache/10.0.0.7:80")
	if code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	// Removed keys are listed too, from etcd's history at the last apply.
	srv.Delete(t, "/services/apache/10.0.0.10:8080")
	_, out, _ = cw(t, d.args(srv.Endpoint, "plan")...)
	contains(t, "plan after a delete", out, "1 added or changed, 1 removed", "+ /services/apache/10.0.0.7:80", "- /services/apache/10.0.0.10:8080")
	// A missing dest is a new file, not a diff against an empty line.
	must(t, os.Remove(dest))
	_, out, _ = cw(t, d.args(srv.Endpoint, "plan")...)
	contains(t, "plan of a missing dest", out, "new file: "+dest+" does not exist", "--- /dev/null")
}

func TestNoopAndSyncOnly(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	d := newConfd(t)
	marker := filepath.Join(d.dir, "reloaded")
	dest := d.classic(t, `check_cmd = "false"
reload_cmd = "touch `+marker+`"`)
	code, out, errs := cw(t, d.args(srv.Endpoint, "render", "--noop")...)
	if code != 0 || read(t, dest) != "<missing>" {
		t.Fatalf("noop: exit %d, dest %q\n%s", code, read(t, dest), out)
	}
	if !strings.HasSuffix(out, "noop: 1 of 1 resource(s) would change; nothing was modified\n") || errs != "" {
		t.Errorf("noop with a change: stdout %q, stderr %q", out, errs)
	}
	// sync-only writes the file and runs neither the (failing) check nor the reload.
	if code, out, _ := cw(t, d.args(srv.Endpoint, "render", "--sync-only")...); code != 0 || read(t, dest) == "<missing>" {
		t.Fatalf("sync-only: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("sync-only ran reload_cmd")
	}
	// Nothing to change: said plainly, and no warning.
	code, out, errs = cw(t, d.args(srv.Endpoint, "render", "--noop")...)
	if code != 0 || !strings.HasSuffix(out, "noop: nothing would change\n") || errs != "" {
		t.Errorf("noop without a change: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
