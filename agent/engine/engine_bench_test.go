package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

// benchSizes are the key counts of `make bench`.
var benchSizes = []int{0, 1000, 10000, 100000}

// benchTmpl is confd's classic nginx upstream template.
const benchTmpl = `upstream apache_pool {
{{ range getvs "/services/apache/*" }}
    server {{ . }};
{{ end }}
}
`

// benchSnapshot is n keys under /services/apache, as etcd.Read returns them.
func benchSnapshot(n int) *etcd.Snapshot {
	es := make([]etcd.Entry, n)
	for i := range es {
		a := fmt.Sprintf("10.%d.%d.%d:8080", i>>16, i>>8&255, i&255)
		es[i] = etcd.Entry{Key: "/services/apache/" + a, Value: a, ModRevision: int64(i + 2), CreateRevision: int64(i + 2)}
	}
	return &etcd.Snapshot{Revision: int64(n + 1), Dirs: map[string][]etcd.Entry{"/services/apache": es}}
}

// benchEngine loads the classic resource from a fresh confdir; its dest is in
// b.TempDir() ($TMPDIR decides the file system); it has no check and no
// reload, so only rendering, the state and the swap are measured.
// st nil keeps state in memory.
func benchEngine(b *testing.B, st *state.Store) *engine.Engine {
	b.Helper()
	dir := b.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	toml := fmt.Sprintf("[template]\nsrc = \"nginx.tmpl\"\ndest = %q\nkeys = [\"/services/apache\"]\n"+
		"allow_empty = true\nmax_shrink = \"100%%\"\n", filepath.Join(dir, "out", "upstream.conf"))
	files := map[string]string{"conf.d/nginx.toml": toml, "templates/nginx.tmpl": benchTmpl}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	if err := probs.Err(); err != nil {
		b.Fatal(err)
	}
	if st == nil {
		st = &state.Store{}
	}
	e, probs := engine.New(res, engine.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), State: st})
	if err := probs.Err(); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkSnapshotTrees converts a listed directory to the kv.Tree the
// engine renders from (what a full list costs beyond the network).
func BenchmarkSnapshotTrees(b *testing.B) {
	for _, n := range benchSizes {
		snap := benchSnapshot(n)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if t := snap.Trees(); t.Tree("/services/apache").Len() != n {
					b.Fatal("wrong size")
				}
			}
		})
	}
}

// BenchmarkTreeReset rebuilds a tree from unsorted pairs (the watch loop's
// re-list path).
func BenchmarkTreeReset(b *testing.B) {
	for _, n := range benchSizes {
		pairs := benchSnapshot(n).Trees().Tree("/services/apache").Pairs()
		for i := range pairs { // reverse: Reset must sort
			j := len(pairs) - 1 - i
			if i >= j {
				break
			}
			pairs[i], pairs[j] = pairs[j], pairs[i]
		}
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			t := kv.NewTree()
			for b.Loop() {
				t.Reset(pairs)
			}
		})
	}
}

// BenchmarkPrepare is the render step of one change: view, template
// execution and guards, from trees already in memory.
func BenchmarkPrepare(b *testing.B) {
	e := benchEngine(b, nil)
	r := e.Resources()[0]
	for _, n := range benchSizes {
		src := benchSnapshot(n).Trees()
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				c := e.Prepare(r, src)
				if c.Err != nil || c.Refused != nil {
					b.Fatal(c.Err, c.Refused)
				}
				size = len(c.Data)
			}
			b.SetBytes(int64(size))
		})
	}
}

// BenchmarkApplyCandidates is the apply step of one change: compare with
// dest, stage, fsync, rename, fsync the directory, record state (in memory).
// Two renders alternate so every apply changes the file.
func BenchmarkApplyCandidates(b *testing.B) { benchApply(b, nil) }

// BenchmarkApplyCandidatesStateDir is BenchmarkApplyCandidates with state
// recorded in a state_dir, as the agent runs by default: two state writes per
// apply (unsettled before the swap, applied after).
func BenchmarkApplyCandidatesStateDir(b *testing.B) {
	benchApply(b, &state.Store{Dir: b.TempDir()})
}

func benchApply(b *testing.B, st *state.Store) {
	e := benchEngine(b, st)
	r := e.Resources()[0]
	g := r.Group()
	ctx := context.Background()
	for _, n := range benchSizes {
		snap := benchSnapshot(n + 1)
		one := e.Prepare(r, snap.Trees())
		snap.Dirs["/services/apache"] = snap.Dirs["/services/apache"][:n]
		other := e.Prepare(r, snap.Trees())
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := one
				if i++; i%2 == 0 {
					c = other
				}
				if sts := e.ApplyCandidates(ctx, g, []engine.Candidate{c}); !sts[0].OK() {
					b.Fatal(sts[0].Err)
				}
			}
		})
	}
}
