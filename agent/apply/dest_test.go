package apply

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// TestSymlinkedDestIsWrittenThrough: sites-enabled/x -> ../sites-available/x
// keeps its link and the target gets the render, also on rollback. Before,
// the link was replaced by a regular file and the target left stale.
func TestSymlinkedDestIsWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	avail, enabled := filepath.Join(dir, "sites-available"), filepath.Join(dir, "sites-enabled")
	for _, d := range []string{avail, enabled} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target, link := filepath.Join(avail, "x"), filepath.Join(enabled, "x")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sites-available/x", link); err != nil {
		t.Fatal(err)
	}
	assert := func(want string) {
		t.Helper()
		if to, err := os.Readlink(link); err != nil || to != "../sites-available/x" {
			t.Fatalf("link = %q, %v; want it kept", to, err)
		}
		if got, _ := os.ReadFile(target); string(got) != want {
			t.Fatalf("target = %q, want %q", got, want)
		}
		if es := entries(t, enabled); len(es) != 1 {
			t.Fatalf("left in sites-enabled: %v", es)
		}
	}
	if o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(link, "new\n", "")}}); o.Err() != nil {
		t.Fatal(o.Err())
	}
	assert("new\n")
	r := &fakeReload{dest: link, fail: func(int) error { return errors.New("no") }}
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(link, "newer\n", "")}, Reload: r})
	if !o.RolledBack {
		t.Fatalf("want a rollback, got %+v", o)
	}
	assert("new\n")
}

// TestDestNotARegularFileIsRefused: a FIFO dest fails at once (before: the
// read blocked forever), a link to /dev/zero without reading it (before: out
// of memory), and nothing is written.
func TestDestNotARegularFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo, zero := filepath.Join(dir, "fifo"), filepath.Join(dir, "zero")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{fifo, zero} {
		o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(dest, "x\n", "")}})
		if r := o.Results[0]; !errors.Is(r.Err, atomicfile.ErrNotRegular) || r.Stage != StageStage {
			t.Errorf("%s: %v at %q, want ErrNotRegular at stage", dest, r.Err, r.Stage)
		}
	}
	if es := entries(t, dir); len(es) != 2 {
		t.Fatalf("entries %v", es)
	}
}
