package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

func TestTemplateErrorNamesResourceLineAndKey(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	dest := d.classic(t, "")
	must(t, os.WriteFile(dest, []byte("last good\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", "nginx.tmpl"), []byte("upstream x {\n  server {{ getv \"/services/apache/missing\" }};\n}\n"), 0o644))
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitFailed || read(t, dest) != "last good\n" {
		t.Fatalf("exit %d dest %q\n%s%s", code, read(t, dest), out, errs)
	}
	contains(t, "output", out, "render nginx", "nginx.tmpl:2", "/services/apache/missing")
}

// TestAwkwardValues: newlines, a 1 MiB value and 10,000 keys under one
// prefix render exactly, and no value reaches a shell.
func TestAwkwardValues(t *testing.T) {
	srv := testetcd.Start(t)
	d := newConfd(t)
	marker := filepath.Join(d.dir, "pwned")
	dest := d.classic(t, `check_cmd = "test -s {{.src}}"
reload_cmd = "true"`)
	srv.Put(t, "/services/apache/nl", "10.0.0.1:80;\n    server 10.6.6.6:80")
	srv.Put(t, "/services/apache/sh", "$(touch "+marker+")`touch "+marker+"`")
	big := strings.Repeat("x", 1<<20)
	srv.Put(t, "/services/apache/big", big)
	ops := 0
	for i := 0; i < 10000; i++ {
		key := fmt.Sprintf("/services/apache/10.%d.%d.%d:8080", i/65536, i/256%256, i%256)
		if _, err := srv.Client.Put(t.Context(), key, key[len("/services/apache/"):]); err != nil {
			t.Fatal(err)
		}
		ops++
	}
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	got := read(t, dest)
	contains(t, "dest", got, "10.0.0.1:80;\n    server 10.6.6.6:80", big, "10.0.39.15:8080")
	if n := strings.Count(got, "server "); n != ops+5 { // + nl (2 lines), sh, big, and the server block
		t.Errorf("%d server lines, want %d", n, ops+5)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an etcd value reached a shell")
	}
}

func TestFailingCheckKeepsDest(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	dest := d.classic(t, `check_cmd = "grep -q 10.0.0.1 {{.src}} && ! grep -q bad {{.src}}"`)
	if code, out, _ := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("render: %d\n%s", code, out)
	}
	good := read(t, dest)
	srv.Put(t, "/services/apache/b", "bad:80")
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitFailed || read(t, dest) != good {
		t.Fatalf("failed check replaced dest: exit %d\n%s%s", code, out, errs)
	}
	contains(t, "output", out, "failed", "command failed")
	entries, _ := os.ReadDir(d.out)
	if len(entries) != 1 {
		t.Fatalf("stray files: %v", entries)
	}
}

// readOnly makes dir read-only: a read-only tmpfs as root (root ignores
// permission bits), chmod 0555 otherwise.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		must(t, os.Chmod(dir, 0o555))
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		return
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "cwro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a read-only tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
}

func TestReadOnlyDestDir(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	d.classic(t, "")
	readOnly(t, d.out)
	code, out, _ := cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s", code, out)
	}
	contains(t, "render output", out, "failed", "stage", "read-only file system")
	code, out, _ = cw(t, d.args("", "check")...)
	if code != exitFailed {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	contains(t, "check output", out, "is not writable")
}
