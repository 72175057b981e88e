package apply

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// smallTmpfs mounts a tmpfs of size bytes on a new directory, or skips.
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("tmpfs mount not possible here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestNoStagedFileLeftOnENOSPC: a candidate that does not fit fails at the
// stage step and leaves nothing beside dest, however often it is retried.
// (Before: the cleanup removed "" and left a partial staged file per try.)
func TestNoStagedFileLeftOnENOSPC(t *testing.T) {
	dir := smallTmpfs(t, "64k")
	dest := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(dest, []byte("good\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := string(bytes.Repeat([]byte("x"), 256<<10))
	for try := 0; try < 3; try++ {
		o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(dest, big, "")}})
		if o.Results[0].Stage != StageStage {
			t.Fatalf("try %d: stage %q err %v, want a stage failure", try, o.Results[0].Stage, o.Err())
		}
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Fatalf("left beside dest: %v", es)
	}
	if got, _ := os.ReadFile(dest); string(got) != "good\n" {
		t.Fatalf("dest = %q", got)
	}
}

// TestSweepRemovesStaleStagedFiles: staged files a crash left beside dest
// are removed; other hidden files are not.
func TestSweepRemovesStaleStagedFiles(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "site.conf")
	for _, n := range []string{"site.conf", ".site.conf.confwatch-123", ".site.conf.confwatch-9", ".other.confwatch-1", ".site.conf.swp"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := Sweep(dest)
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 removed", n, err)
	}
	if got := strings.Join(entries(t, dir), " "); got != ".other.confwatch-1 .site.conf.swp site.conf" {
		t.Fatalf("left: %s", got)
	}
}

// TestCommandOutputIsBounded: a check printing 10 MB is kept to
// MaxCommandOutput and logged clipped. Before, the whole output was kept and
// logged as one line.
func TestCommandOutputIsBounded(t *testing.T) {
	out, err := Shell{}.Run(context.Background(), "head -c 10000000 /dev/zero | tr '\\0' x; exit 1", time.Minute)
	if err == nil {
		t.Fatal("want the exit status")
	}
	if len(out) > MaxCommandOutput+100 || !strings.Contains(string(out), "bytes of output dropped") {
		t.Fatalf("kept %d bytes, tail %q", len(out), out[max(0, len(out)-60):])
	}
	var logged strings.Builder
	a := newApplier()
	a.Log = slog.New(slog.NewTextHandler(&logged, nil))
	a.logOutput("check_cmd", "r", "cmd", out, err)
	if logged.Len() > 2*maxLogged {
		t.Fatalf("log line of %d bytes", logged.Len())
	}
	if got := withOutput(err, out).Error(); len(got) > 3000 {
		t.Fatalf("error of %d bytes", len(got))
	}
}
