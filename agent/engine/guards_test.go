package engine

import (
	"context"
	"fmt"
	"testing"

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
	if sts := e1.Sync(ctx, keys(1)); sts[0].State != StateRefused {
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
	if sts := e.Sync(context.Background(), keys(1)); sts[0].State != StateRefused {
		t.Fatalf("10 keys in the old state file, 1 now: %v, want refused", sts[0])
	}
}
