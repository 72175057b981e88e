package engine

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

type countReload struct{ n int }

func (c *countReload) Reload(context.Context) error { c.n++; return nil }
func (c *countReload) String() string               { return "count" }

type src struct {
	trees map[string]*kv.Tree
	errs  map[string]error
}

func (s src) Revision() int64    { return 9 }
func (s src) Err(d string) error { return s.errs[d] }
func (s src) Tree(d string) *kv.Tree {
	if t, ok := s.trees[d]; ok {
		return t
	}
	return kv.NewTree()
}

// setup writes two resources reloading one unit, reading /a and /b.
func setup(t *testing.T, opts Options) (*Engine, string, *countReload) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"conf.d", "templates", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("templates/t.tmpl", "{{ range gets \"/*/*\" }}{{ .Key }}={{ .Value }}\n{{ end }}")
	for _, n := range []string{"a", "b"} {
		write("conf.d/"+n+".toml", "[template]\nsrc = \"t.tmpl\"\ndest = \""+filepath.Join(dir, "out", n)+"\"\nkeys = [\"/"+n+"\"]\nreload_unit = \"x.service\"\n")
	}
	res, probs := resource.LoadAll(resource.Options{ConfDir: dir})
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	rel := &countReload{}
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.State = &state.Store{Dir: filepath.Join(dir, "state")}
	opts.Reloaders = func(*resource.Resource) apply.Reloader { return rel }
	e, probs := New(res, opts)
	if err := probs.Err(); err != nil {
		t.Fatal(err)
	}
	return e, filepath.Join(dir, "out"), rel
}

func trees(pairs ...string) src {
	s := src{trees: map[string]*kv.Tree{}}
	for i := 0; i < len(pairs); i += 2 {
		d := "/" + pairs[i][1:2]
		if s.trees[d] == nil {
			s.trees[d] = kv.NewTree()
		}
		s.trees[d].Put(pairs[i], pairs[i+1])
	}
	return s
}

func TestOneReloadPerGroupAndStatuses(t *testing.T) {
	e, out, rel := setup(t, Options{})
	if len(e.Groups()) != 1 {
		t.Fatalf("groups %v: resources sharing reload_unit must be one group", e.Groups())
	}
	sts := e.Sync(context.Background(), trees("/a/1", "x", "/b/1", "y"))
	if rel.n != 1 || len(sts) != 2 || !sts[0].OK() || !sts[1].OK() || sts[0].Revision != 9 {
		t.Fatalf("reloads %d statuses %v", rel.n, sts)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != "/a/1=x\n" {
		t.Fatalf("a = %q", b)
	}
	// Nothing changed: no reload, both unchanged.
	sts = e.Sync(context.Background(), trees("/a/1", "x", "/b/1", "y"))
	if rel.n != 1 || sts[0].Outcome != OutcomeUnchanged {
		t.Fatalf("reloads %d, %v", rel.n, sts)
	}
	// b empties: refused and kept; a still applied.
	sts = e.Sync(context.Background(), trees("/a/1", "z"))
	if sts[0].Outcome != OutcomeApplied || sts[1].Outcome != OutcomeRefused || !sts[1].DestExists {
		t.Fatalf("statuses %v", sts)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "b")); string(b) != "/b/1=y\n" {
		t.Fatalf("refused b was replaced: %q", b)
	}
}

func TestNoopChangesNothing(t *testing.T) {
	e, out, rel := setup(t, Options{Noop: true})
	sts := e.Sync(context.Background(), trees("/a/1", "x", "/b/1", "y"))
	if rel.n != 0 || sts[0].Outcome != OutcomeWouldChange {
		t.Fatalf("reloads %d statuses %v", rel.n, sts)
	}
	if _, err := os.Stat(filepath.Join(out, "a")); err == nil {
		t.Fatal("noop wrote a file")
	}
}

// TestUnsettledApplyIsRedone: the agent died between the swap and the
// reload; after a restart the file equals the render but is applied (checked
// and reloaded) again, not taken as unchanged.
func TestUnsettledApplyIsRedone(t *testing.T) {
	e, _, rel := setup(t, Options{})
	must(t, e.Recover()) // as the agent does at its start
	data := trees("/a/1", "x", "/b/1", "y")
	e.Sync(context.Background(), data)
	if rel.n != 1 {
		t.Fatalf("reloads %d", rel.n)
	}
	if err := e.opts.State.SetUnsettled(stateKey(e.res[0]), true); err != nil {
		t.Fatal(err)
	}
	sts := e.Sync(context.Background(), data)
	if rel.n != 2 || !sts[0].OK() { // redone by finish, before the (then unchanged) apply
		t.Fatalf("reloads %d, statuses %v: an unsettled apply must be redone", rel.n, sts)
	}
	if e.opts.State.Get(stateKey(e.res[0])).Unsettled {
		t.Fatal("still unsettled after a good apply")
	}
	e.Sync(context.Background(), data)
	if rel.n != 2 {
		t.Fatal("settled file applied again")
	}
}
