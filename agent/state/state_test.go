package state

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/syncbuf"
)

func TestStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	a := &Store{Dir: dir}
	if err := a.Put("nginx", Applied{Revision: 7, Dirs: []string{"/s"}, Counts: []int{3}}); err != nil {
		t.Fatal(err)
	}
	if got := (&Store{Dir: dir}).Get("nginx"); got == nil || got.Revision != 7 || got.Counts[0] != 3 {
		t.Fatalf("a new store read %+v, want revision 7 with 3 keys", got)
	}
	if got := (&Store{Dir: dir}).Get("other"); got != nil {
		t.Errorf("unknown resource: %+v", got)
	}
}

// TestStoreSeesAnotherWriter: `confwatch render --force` next to a running
// agent rewrites the state file; the agent's store reads it at the next Get
// instead of comparing with its memory.
func TestStoreSeesAnotherWriter(t *testing.T) {
	dir := t.TempDir()
	agent, render := &Store{Dir: dir}, &Store{Dir: dir}
	if err := agent.Put("nginx", Applied{Revision: 1, Counts: []int{4}}); err != nil {
		t.Fatal(err)
	}
	if got := agent.Get("nginx"); got.Revision != 1 {
		t.Fatalf("got revision %d, want 1", got.Revision)
	}
	// A different size makes the change visible even where mtimes are coarse.
	if err := render.Put("nginx", Applied{Revision: 12345, Counts: []int{1}}); err != nil {
		t.Fatal(err)
	}
	if got := agent.Get("nginx"); got.Revision != 12345 || got.Counts[0] != 1 {
		t.Errorf("the agent still sees %+v after another process wrote revision 12345", got)
	}
}

func TestStoreMemoryWinsWhereItCannotWrite(t *testing.T) {
	dir := t.TempDir()
	if err := (&Store{Dir: dir}).Put("nginx", Applied{Revision: 1}); err != nil {
		t.Fatal(err)
	}
	ro := &Store{Dir: dir, ReadOnly: true}
	if got := ro.Get("nginx"); got == nil || got.Revision != 1 {
		t.Fatalf("read-only store read %+v, want revision 1", got)
	}
	if err := ro.Put("nginx", Applied{Revision: 2}); err != nil {
		t.Fatal(err)
	}
	if got := ro.Get("nginx"); got.Revision != 2 {
		t.Errorf("read-only store: got revision %d after Put(2), want its memory", got.Revision)
	}
	if got := (&Store{Dir: dir}).Get("nginx"); got.Revision != 1 {
		t.Errorf("read-only store wrote the file: revision %d", got.Revision)
	}

	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := &Store{Dir: file}
	if err := broken.Put("nginx", Applied{Revision: 3, At: time.Now()}); err == nil {
		t.Fatal("Put into a file as directory: no error")
	}
	if got := broken.Get("nginx"); got == nil || got.Revision != 3 {
		t.Errorf("after a failed write: %+v, want memory's revision 3", got)
	}
}

func TestUnsettledKeepsTheRest(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	if err := s.Put("nginx", Applied{Revision: 9, Counts: []int{2}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUnsettled("nginx", true); err != nil {
		t.Fatal(err)
	}
	got := (&Store{Dir: s.Dir}).Get("nginx")
	if !got.Unsettled || got.Revision != 9 || got.Counts[0] != 2 {
		t.Errorf("got %+v, want revision 9, 2 keys, unsettled", got)
	}
}

// TestUnreadableStateFileIsReported: a truncated state file leaves the
// guards without their baseline; the store says so, once per version of
// the file, instead of nothing.
func TestUnreadableStateFileIsReported(t *testing.T) {
	dir := t.TempDir()
	if err := (&Store{Dir: dir}).Put("nginx", Applied{Revision: 7, Counts: []int{4}}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("state files %v", files)
	}
	if err := os.WriteFile(files[0], []byte(`{"revision":`), 0o644); err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	s := &Store{Dir: dir, Log: slog.New(slog.NewTextHandler(&log, nil))}
	for range 3 {
		if got := s.Get("nginx"); got != nil {
			t.Fatalf("Get = %+v from a truncated file", got)
		}
	}
	if n := strings.Count(log.String(), "state file unreadable"); n != 1 {
		t.Fatalf("reported %d times, want once:\n%s", n, log.String())
	}
}
