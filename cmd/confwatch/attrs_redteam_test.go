package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestExistingOwnerAndModeAreKept: README, what differs: "Owner and mode of
// an existing file are kept when the resource does not set them", and the
// mode's default is "dest's mode, else 0644" whatever the agent's umask.
// dest is 0640 and owned by 65534:65534; the resource sets neither. Through
// an in-place check and a swap, a rolled-back failed reload, and a file
// created fresh under umask 077, each file ends with the attributes it should.
func TestExistingOwnerAndModeAreKept(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown dest to another user")
	}
	srv := testetcd.Start(t)
	srv.Put(t, "/svc/a", "1")
	d := newConfd(t)
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", "svc.tmpl"), []byte(`{{ getv "/svc/a" }}`+"\n"), 0o644))
	resource := func(name, dest, extra string) {
		d.resource(t, name, fmt.Sprintf("src = \"svc.tmpl\"\ndest = %q\nkeys = [\"/svc\"]\n%s", dest, extra))
	}
	kept := filepath.Join(d.out, "kept.conf")
	back := filepath.Join(d.out, "back.conf")
	fresh := filepath.Join(d.out, "fresh.conf")
	for _, p := range []string{kept, back} {
		must(t, os.WriteFile(p, []byte("old\n"), 0o640))
		must(t, os.Chmod(p, 0o640))
		must(t, os.Chown(p, 65534, 65534))
	}
	resource("kept", kept, "check_cmd = \"grep -qx 1 "+kept+"\"\n") // in place: no {{.src}}
	resource("back", back, "reload_cmd = \"false\"\n")
	resource("fresh", fresh, "")

	old := syscall.Umask(0o077)
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	syscall.Umask(old)
	if code != exitFailed { // back's reload fails
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errs)
	}
	want := []struct {
		path, data string
		mode       os.FileMode
		uid        uint32
	}{
		{kept, "1\n", 0o640, 65534},
		{back, "old\n", 0o640, 65534},
		{fresh, "1\n", 0o644, 0},
	}
	for _, w := range want {
		fi, err := os.Stat(w.path)
		must(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		if got := read(t, w.path); got != w.data || fi.Mode().Perm() != w.mode || st.Uid != w.uid || st.Gid != w.uid {
			t.Errorf("%s: %q %o %d:%d, want %q %o %d:%d", filepath.Base(w.path), got, fi.Mode().Perm(),
				st.Uid, st.Gid, w.data, w.mode, w.uid, w.uid)
		}
	}
}
