package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRenderForbiddenDir: the user may read only /services/; one resource
// reads /other. Only that resource fails, naming the directory and the
// user, and render exits 1 (it exited 3, "etcd unreachable"-style, with a
// bare "permission denied" and applied nothing).
func TestRenderForbiddenDir(t *testing.T) {
	srv := testetcd.Start(t)
	putClassic(t, srv)
	srv.Put(t, "/other/x", "secret")
	srv.EnableAuth(t, "cw", "secret", "/services/")
	d := newConfd(t)
	dest := d.classic(t, "")
	other := filepath.Join(d.out, "other.conf")
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", "other.tmpl"), []byte(`{{getv "/other/x"}}`), 0o644))
	d.resource(t, "other", fmt.Sprintf("src = \"other.tmpl\"\ndest = %q\nkeys = [\"/other\"]\n", other))
	code, out, errs := cw(t, d.args(srv.Endpoint, "render", "--username", "cw", "--password", "secret")...)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errs)
	}
	contains(t, "stdout", out, `read /other as etcd user "cw": etcdserver: permission denied`)
	golden(t, "classic.golden", read(t, dest))
	if _, err := os.Stat(other); err == nil {
		t.Fatal("the resource reading /other was written")
	}
}
