package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/render"
	"github.com/confwatch/confwatch/agent/state"
)

// keys returns n keys under /a and one under /b.
func keys(n int) src {
	var pairs []string
	for i := range n {
		pairs = append(pairs, fmt.Sprintf("/a/%d", i), "v")
	}
	return trees(append(pairs, "/b/1", "y")...)
}

// TestShrinkBaselineIsPerDest: two confdirs share a state dir, each with a
// resource "a". The other's apply of 1 key must not become this one's
// baseline: a drop from 10 keys to 1 is refused. Before, state was keyed by
// name only and the drop was applied.
func TestShrinkBaselineIsPerDest(t *testing.T) {
	e1, _, _ := setup(t, Options{})
	e2, _, _ := setup(t, Options{})
	e2.opts.State = &state.Store{Dir: e1.opts.State.Dir}
	ctx := context.Background()
	if sts := e1.Sync(ctx, keys(10)); !sts[0].OK() {
		t.Fatalf("first confdir: %v", sts)
	}
	if sts := e2.Sync(ctx, keys(1)); !sts[0].OK() {
		t.Fatalf("second confdir: %v", sts)
	}
	if sts := e1.Sync(ctx, keys(1)); sts[0].Outcome != OutcomeRefused {
		t.Fatalf("first confdir dropping from 10 keys to 1: %v, want refused", sts[0])
	}
}

// TestLegacyStateFileIsRead: a state file named after the resource alone
// (before state was keyed by dest) is the baseline until the keyed one exists.
func TestLegacyStateFileIsRead(t *testing.T) {
	e, _, _ := setup(t, Options{})
	legacy := &state.Store{Dir: e.opts.State.Dir}
	if err := legacy.Put("a", state.Applied{Revision: 3, Dirs: []string{"/a"}, Counts: []int{10}}); err != nil {
		t.Fatal(err)
	}
	if sts := e.Sync(context.Background(), keys(1)); sts[0].Outcome != OutcomeRefused {
		t.Fatalf("10 keys in the old state file, 1 now: %v, want refused", sts[0])
	}
}

// TestBlankRenderOfKeysIsRefused: a template that renders nothing although
// its directory has keys (a typo in a gets pattern) keeps the last good
// file. Before, dest became 0 bytes.
func TestBlankRenderOfKeysIsRefused(t *testing.T) {
	e, out, _ := setup(t, Options{})
	ctx := context.Background()
	if sts := e.Sync(ctx, keys(2)); !sts[0].OK() {
		t.Fatal(sts)
	}
	tmpl := filepath.Join(filepath.Dir(out), "templates", "t.tmpl")
	if err := os.WriteFile(tmpl, []byte("{{ range gets \"/typo/*\" }}{{ .Key }}\n{{ end }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tp, err := render.ParseFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	e.tmpl["a"] = tp
	sts := e.Sync(ctx, keys(3))
	if sts[0].Outcome != OutcomeRefused || !strings.Contains(sts[0].Err.Error(), "render is empty") {
		t.Fatalf("blank render: %v", sts[0])
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a")); !strings.Contains(string(b), "/a/1=v") {
		t.Fatalf("dest replaced: %q", b)
	}
}

// TestRenderPastMaxOutputFails: a render larger than max_output is a render
// error and the file stays. Before, any size was rendered (200 MB took 618 MB).
func TestRenderPastMaxOutputFails(t *testing.T) {
	e, out, _ := setup(t, Options{})
	ctx := context.Background()
	if sts := e.Sync(ctx, keys(1)); !sts[0].OK() {
		t.Fatal(sts)
	}
	e.res[0].OutputLimit = 20
	sts := e.Sync(ctx, keys(10))
	if sts[0].Outcome != OutcomeFailed || !errors.Is(sts[0].Err, render.ErrTooLarge) {
		t.Fatalf("render past max_output: %v", sts[0])
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != "/a/0=v\n" {
		t.Fatalf("dest = %q", b)
	}
}

// TestRefusedValueKeepsTheLastGoodFile: a value hostport refuses (issue 13
// item 6's nginx injection) fails the render, names the key and leaves the
// live file as it was; nothing is reloaded.
func TestRefusedValueKeepsTheLastGoodFile(t *testing.T) {
	e, out, rel := setup(t, Options{})
	tm, err := render.Parse("up.tmpl", []byte(`{{range gets "/a/*"}}server {{hostport .Value}};
{{end}}`))
	if err != nil {
		t.Fatal(err)
	}
	e.tmpl["a"] = tm
	ctx := context.Background()
	if sts := e.Sync(ctx, trees("/a/1", "10.0.0.1:80", "/b/1", "y")); !sts[0].OK() {
		t.Fatal(sts)
	}
	reloads := rel.n
	sts := e.Sync(ctx, trees("/a/1", "10.0.0.1:80", "/a/2", "1.2.3.4:80; } server { listen 9999; } upstream d { server 127.0.0.1:1", "/b/1", "y"))
	var re *render.Error
	if sts[0].Outcome != OutcomeFailed || !errors.Is(sts[0].Err, render.ErrInvalidValue) ||
		!errors.As(sts[0].Err, &re) || re.Key != "/a/2" {
		t.Fatalf("injected value: %v", sts[0])
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a")); string(b) != "server 10.0.0.1:80;\n" {
		t.Fatalf("dest = %q", b)
	}
	if rel.n != reloads {
		t.Fatalf("reloaded after a refused value")
	}
}
