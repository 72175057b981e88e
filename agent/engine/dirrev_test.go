package engine

import (
	"context"
	"testing"
)

// dirSrc is a src whose directories are current through revisions of their
// own, as the watch loop's cache is.
type dirSrc struct {
	src
	revs map[string]int64
}

func (s dirSrc) DirRevision(d string) int64 { return s.revs[d] }

// TestResultsCarryDirectoryRevisions: a result says, per directory, the
// revision its data reflected: the directory's own with a DirRevisioner
// (never above Revision), else Revision.
func TestResultsCarryDirectoryRevisions(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  Source
		a, b int64
	}{
		{"one revision for all", trees("/a/1", "x", "/b/1", "y"), 9, 9},
		{"per directory", dirSrc{trees("/a/1", "x", "/b/1", "y"), map[string]int64{"/a": 4, "/b": 12}}, 4, 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, _, _ := setup(t, Options{})
			sts := e.Sync(context.Background(), tt.src)
			if len(sts) != 2 || sts[0].DirRevs["/a"] != tt.a || sts[1].DirRevs["/b"] != tt.b {
				t.Errorf("got %v and %v, want /a %d, /b %d", sts[0].DirRevs, sts[1].DirRevs, tt.a, tt.b)
			}
		})
	}
}
