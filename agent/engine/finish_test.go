package engine

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/resource"
)

// seenReload records dest's content at each reload; die makes the next
// reload end its goroutine (runtime.Goexit) as a kill would end the agent:
// Apply returns nothing and removes none of the files it kept on disk.
type seenReload struct {
	dest string
	seen []string
	die  bool
}

func (s *seenReload) Reload(context.Context) error {
	b, _ := os.ReadFile(s.dest)
	s.seen = append(s.seen, string(b))
	if s.die {
		s.die = false
		runtime.Goexit()
	}
	return nil
}
func (s *seenReload) String() string { return "seen" }

// killedInReload runs a Sync of data that dies in its reload.
func killedInReload(e *Engine, rel *seenReload, data src) {
	rel.die = true
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Sync(context.Background(), data)
	}()
	<-done
}

// TestRestartFinishesTheInterruptedApply: the agent died while the reload of
// a checked file ran. After a restart (Recover) the file stays as it was (no
// step back to the one before), and the group's next apply reloads it
// first, then applies what is new: even when the new render of that file is
// refused, the interrupted reload is not lost.
func TestRestartFinishesTheInterruptedApply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		next     src
		wantSeen []string // what the reloads after the restart saw in a
		wantA    string
	}{
		{"same data", trees("/a/1", "z", "/b/1", "y"), []string{"/a/1=z\n"}, "/a/1=z\n"},
		{"newer data", trees("/a/1", "w", "/b/1", "y"), []string{"/a/1=z\n", "/a/1=w\n"}, "/a/1=w\n"},
		{"a refused now", trees("/b/1", "v"), []string{"/a/1=z\n", "/a/1=z\n"}, "/a/1=z\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, _ := setup(t, Options{})
			rel := &seenReload{dest: filepath.Join(out, "a")}
			e.opts.Reloaders = func(*resource.Resource) apply.Reloader { return rel }
			e.Sync(context.Background(), trees("/a/1", "x", "/b/1", "y"))
			killedInReload(e, rel, trees("/a/1", "z", "/b/1", "y"))
			rel.seen = nil

			if err := e.Recover(); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != "/a/1=z\n" {
				t.Fatalf("after Recover a = %q, want the swapped-in file still", b)
			}
			e.Sync(context.Background(), tc.next)
			if !equal(rel.seen, tc.wantSeen) {
				t.Fatalf("reloads saw %q, want %q", rel.seen, tc.wantSeen)
			}
			if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != tc.wantA {
				t.Fatalf("a = %q, want %q", b, tc.wantA)
			}
			if apply.Interrupted(filepath.Join(out, "a")) {
				t.Fatal("still interrupted")
			}
			n := len(rel.seen)
			e.Sync(context.Background(), tc.next)
			if len(rel.seen) != n {
				t.Fatalf("reloaded again with nothing new: %q", rel.seen[n:])
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
