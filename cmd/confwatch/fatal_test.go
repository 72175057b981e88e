package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFatalErrorHasErrorPriorityInJournal: when stderr is the journal, the line saying
// why confwatch exits carries <3>, so `journalctl -p warning` shows it (journald files
// an unprefixed line at info); elsewhere the line is plain.
func TestFatalErrorHasErrorPriorityInJournal(t *testing.T) {
	tests := []struct {
		name    string
		journal bool
		want    string
	}{
		{"journal", true, "<3>confwatch: "},
		{"not the journal", false, "confwatch: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newConfd(t)
			d.resource(t, "broken", "src = \n")
			f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			must(t, err)
			defer f.Close()
			t.Setenv("JOURNAL_STREAM", "")
			if tt.journal {
				var st syscall.Stat_t
				must(t, syscall.Fstat(int(f.Fd()), &st))
				t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
			}
			var out strings.Builder
			code := run(context.Background(), append([]string{"confwatch", "run"}, d.args("")...), &out, f)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			b, err := os.ReadFile(f.Name())
			must(t, err)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, tt.want) || !strings.Contains(last, "broken.toml") {
				t.Errorf("last stderr line %q, want it to start with %q and name broken.toml", last, tt.want)
			}
		})
	}
}
