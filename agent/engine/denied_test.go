package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestUnreadableDirFailsOnlyItsResources: /b could not be read (say, the
// etcd user may not): b fails with that error and keeps its file; a, in the
// same reload group, is still applied.
func TestUnreadableDirFailsOnlyItsResources(t *testing.T) {
	e, out, rel := setup(t, Options{})
	e.Sync(context.Background(), trees("/a/1", "x", "/b/1", "y"))
	denied := errors.New("read /b as etcd user \"cw\": permission denied")
	s := trees("/a/1", "z")
	s.errs = map[string]error{"/b": denied}
	sts := e.Sync(context.Background(), s)
	if len(sts) != 2 || !sts[0].OK() || sts[1].OK() || !errors.Is(sts[1].Err, denied) {
		t.Fatalf("statuses %v: want a applied, b failed with the read error", sts)
	}
	if rel.n != 2 {
		t.Fatalf("reloads %d: a's change must still be applied", rel.n)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "b")); string(b) != "/b/1=y\n" {
		t.Fatalf("b was replaced: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != "/a/1=z\n" {
		t.Fatalf("a = %q", b)
	}
}
