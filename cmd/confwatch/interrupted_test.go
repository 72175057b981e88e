package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRenderFinishesAnInterruptedApply: an agent killed after its checks
// passed and before its reload was confirmed leaves the previous file as
// .NAME.confwatch-held beside dest. plan says so (exit 1), and the next
// render reloads the file as it stands, although it is up to date, and
// leaves nothing beside it; dest never steps back to the held file.
func TestRenderFinishesAnInterruptedApply(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	d := newConfd(t)
	marker := filepath.Join(d.dir, "reloaded")
	dest := d.classic(t, `check_cmd = "test -s {{.src}}"
reload_cmd = "cp {{.dest}} `+marker+`"`)
	if code, out, _ := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, out)
	}
	now := read(t, dest)
	must(t, os.Remove(marker))
	held := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".confwatch-held")
	must(t, os.WriteFile(held, []byte("the file before\n"), 0o644))

	code, out, _ := cw(t, d.args(srv.Endpoint, "plan")...)
	contains(t, "plan", out, "interrupted: the previous file is kept beside "+dest, "action: none (up to date)")
	if code != exitFailed {
		t.Errorf("plan of an interrupted apply: exit %d, want %d", code, exitFailed)
	}
	if code, out, _ := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, out)
	}
	if got := read(t, marker); got != now {
		t.Fatalf("the reload saw %q, want the file as it stood", got)
	}
	if got := read(t, dest); got != now {
		t.Fatalf("dest = %q, want it unchanged", got)
	}
	if _, err := os.Lstat(held); !os.IsNotExist(err) {
		t.Fatalf("the held file is still there: %v", err)
	}
	if code, out, _ := cw(t, d.args(srv.Endpoint, "plan")...); code != 0 {
		t.Fatalf("plan after: exit %d\n%s", code, out)
	}
}
