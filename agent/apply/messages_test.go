package apply

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSiblingFailureNamesTheFailingResource: when b's check fails, a (same
// group, not applied either) says that b's check failed, with b's command,
// rather than carrying b's error as if it were its own (issue 13 item 16).
// b's output is not repeated in a's message.
func TestSiblingFailureNamesTheFailingResource(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf")
	o := newApplier().Apply(context.Background(), Group{Name: "g", Reload: &fakeReload{dest: a},
		Items: []Item{item(a, "new\n", "true"), item(b, "new\n", "echo bad-b-output; exit 3")}})
	ra, rb := o.Results[0], o.Results[1]
	if !errors.Is(rb.Err, ErrCommand) || !strings.Contains(rb.Err.Error(), "bad-b-output") {
		t.Fatalf("b: %v", rb.Err)
	}
	want := `not applied: the check of b.conf, in the same group, failed: command failed: "echo bad-b-output; exit 3": exit status 3`
	if ra.Err == nil || ra.Err.Error() != want || ra.Stage != StageCheck || ra.Applied {
		t.Fatalf("a: %v (stage %q)\nwant %s", ra.Err, ra.Stage, want)
	}
}

// TestDirectoryDestSaysReadOnce: a dest that is a directory, or a path
// through a file, is reported with its path once.
func TestDirectoryDestSaysReadOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{dir, filepath.Join(file, "x.conf")} {
		o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(dest, "x\n", "")}})
		err := o.Results[0].Err
		if err == nil || strings.Count(err.Error(), dest) != 1 {
			t.Errorf("%s: %v; want the path said once", dest, err)
		}
	}
}
