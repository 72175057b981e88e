package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestSymlinkedDestHostileLinks: README: "A symlinked dest is written
// through: ... the target is replaced atomically in its own directory and
// the link stays", and "Nothing is left beside dest". Hostile links: one
// whose target does not exist yet (sites-enabled/x -> ../sites-available/x
// before the first render), and a loop. The first is created through the
// link, which stays a link; the loop is an error (exit 1) that does not hang
// and leaves no staged file in either directory.
func TestSymlinkedDestHostileLinks(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	t.Run("dangling", func(t *testing.T) {
		d := newConfd(t)
		dest := d.classic(t, "")
		avail := filepath.Join(d.dir, "sites-available")
		must(t, os.Mkdir(avail, 0o755))
		must(t, os.Symlink("../sites-available/apache.conf", dest))
		code, out, errs := cwBounded(t, d.args(srv.Endpoint, "render")...)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
		if fi, err := os.Lstat(dest); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("dest is no longer a link: %v %v", fi.Mode(), err)
		}
		contains(t, "the link's target", read(t, filepath.Join(avail, "apache.conf")), "server 10.0.0.1:80;")
		for _, dir := range []string{d.out, avail} {
			if es, _ := os.ReadDir(dir); len(es) != 1 {
				t.Errorf("%s holds %d entries, want 1", dir, len(es))
			}
		}
	})
	t.Run("loop", func(t *testing.T) {
		d := newConfd(t)
		dest := d.classic(t, "")
		other := filepath.Join(d.out, "other.conf")
		must(t, os.Symlink("other.conf", dest))
		must(t, os.Symlink("apache.conf", other))
		code, out, errs := cwBounded(t, d.args(srv.Endpoint, "render")...)
		if code != exitFailed {
			t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errs)
		}
		if es, _ := os.ReadDir(d.out); len(es) != 2 {
			t.Errorf("%s holds %d entries, want the 2 links", d.out, len(es))
		}
	})
}

// TestCheckNeedsNoEtcd: README: "`confwatch check` finds configuration and
// template mistakes without etcd". With the endpoints set to an etcd that
// accepts and never answers, check still ends at once, exit 0, on a clean
// tree: it never dials.
func TestCheckNeedsNoEtcd(t *testing.T) {
	d := newConfd(t)
	d.classic(t, "")
	code, out, errs := cwBounded(t, d.args("http://"+blackhole(t), "check", "--dial-timeout", "20s")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}
