package apply

import (
	"context"
	"path/filepath"
	"testing"
)

type nopReload struct{}

func (nopReload) Reload(context.Context) error { return nil }
func (nopReload) String() string               { return "nop" }

// BenchmarkApplyReloadGroup is one changed file of a reloading group per
// op: stage, keep the previous file, swap, relabel it, reload (in process,
// free), drop it. $TMPDIR decides the file system (fsyncs dominate on disk).
func BenchmarkApplyReloadGroup(b *testing.B) {
	dest := filepath.Join(b.TempDir(), "upstream.conf")
	a := newApplier()
	data := [2][]byte{make([]byte, 40<<10), make([]byte, 40<<10)}
	data[1][0] = 'x'
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := Item{Name: "r", Dest: dest, Data: data[i%2], UID: -1, GID: -1}
		if o := a.Apply(context.Background(), Group{Name: "g", Items: []Item{it}, Reload: nopReload{}}); o.Err() != nil {
			b.Fatal(o.Err())
		}
	}
}
