package apply

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Stale commit markers: each test below failed on e6d4b4b (a review found
// them), where a marker listed paths only; its comment says how it failed.

// recoverAtRun stands in for a kill -9 at the moment a check command runs:
// it runs Recover on the files as the apply left them then (what the next
// start would do), records what it did and what the dests held, and fails.
type recoverAtRun struct {
	dests []string
	ran   bool
	rec   Recovery
	err   error
	held  map[string]string
}

func (r *recoverAtRun) Run(ctx context.Context, cmd string, timeout time.Duration) ([]byte, error) {
	if !r.ran {
		r.ran = true
		r.rec, r.err = Recover(r.dests)
		r.held = map[string]string{}
		for _, d := range r.dests {
			b, _ := os.ReadFile(d)
			r.held[d] = string(b)
		}
	}
	return nil, errors.New("killed here")
}

// TestStaleMarkerBesideAnUnchangedMember: a commit marker left beside
// a (its removal after an earlier apply of a, b, c failed) is not removed by
// a later apply that changes only b and c (keepPrevious removes markers
// beside todo's paths only); a kill during that apply's in-place check then
// has Recover read b and c, kept as unchecked, as checked: nothing is put
// back, though c's candidate never passed its in-place check.
func TestStaleMarkerBesideAnUnchangedMember(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf"), filepath.Join(dir, "c.conf")
	for _, f := range []string{a, b, c} {
		must(t, os.WriteFile(f, []byte(filepath.Base(f)+"2"), 0o644))
	}
	must(t, writeCommit([]commitEntry{entryOf(a, "a.conf1", "a.conf2"), entryOf(b, "b.conf1", "b.conf2"), entryOf(c, "c.conf1", "c.conf2")})) // left by apply 1: its removal failed
	run := &recoverAtRun{dests: []string{a, b, c}}
	ap := &Applier{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Run: run}
	ib := item(b, "b.conf3", "")
	ic := item(c, "c.conf3", "nginx -t")
	ic.CheckInPlace = true
	ap.Apply(context.Background(), Group{Name: "g", Items: []Item{ib, ic}, Reload: &fakeReload{dest: b}})
	if !run.ran {
		t.Fatal("the in-place check did not run")
	}
	t.Logf("Recover at the kill: %+v, %v; dests %v", run.rec, run.err, run.held)
	if len(run.rec.Restored) != 2 || run.held[c] != "c.conf2" {
		t.Fatalf("killed before c's in-place check passed, Recover restored %v and left c = %q (pending %v): an unchecked set is taken as checked",
			run.rec.Restored, run.held[c], run.rec.Pending)
	}
}

// TestFailedMarkerRemovalThenKillMidRollback: the marker's removal
// fails (here: EBUSY, it is a mount point) after the commit; the reload
// fails, and fail's relabel to unchecked only logs the failed removal and
// goes on; the rollback stops half-way (here: ENOSPC on b's file system,
// standing for a kill mid-rollback). Recover then reads the half-rolled-back
// set (a back at a1, b still b2) as checked and puts nothing back.
func TestFailedMarkerRemovalThenKillMidRollback(t *testing.T) {
	dirA := t.TempDir()
	dirB := smallTmpfs(t, "64k")
	a, b := filepath.Join(dirA, "a.conf"), filepath.Join(dirB, "b.conf")
	must(t, os.WriteFile(a, []byte("a1"), 0o644))
	must(t, os.WriteFile(b, []byte("b1"), 0o644))
	r := &fakeReload{dest: a, fail: func(call int) error {
		if call != 1 {
			return nil
		}
		// The deferred removal after the commit failed, and keeps failing.
		must(t, writeCommit([]commitEntry{entryOf(a, "a1", "a2"), entryOf(b, "b1", "b2")}))
		m := commitName(a)
		if out, err := exec.Command("mount", "--bind", m, m).CombinedOutput(); err != nil {
			t.Skipf("bind mount not possible here: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-l", m).Run() })
		_ = os.WriteFile(filepath.Join(dirB, "fill"), bytes.Repeat([]byte("x"), 256<<10), 0o600)
		return errors.New("reload refused")
	}}
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(a, "a2", ""), item(b, "b2", "")}, Reload: r})
	t.Logf("apply: rolledBack %v, err %v", o.RolledBack, o.Err())
	_ = os.Remove(filepath.Join(dirB, "fill"))
	rec, err := Recover([]string{a, b})
	ga, _ := os.ReadFile(a)
	gb, _ := os.ReadFile(b)
	t.Logf("Recover = %+v, %v; a %q b %q", rec, err, ga, gb)
	if len(rec.Pending) > 0 || string(gb) == "b2" {
		t.Fatalf("a = %q, b = %q, pending %v: a half-rolled-back set is taken as checked", ga, gb, rec.Pending)
	}
}

// TestMarkerOfARemovedMemberSpeaksForNoLaterRun: no failure needed.
// Run 1 (group a, b, c) is killed between writing the marker beside a and
// removing it; run 2's configuration drops a, so its start's Recover of
// (b, c) neither reads nor removes the marker, and its apply of b and c is
// killed during c's in-place check; run 3 adds a back, and its start's
// Recover reads the marker of run 1 as saying that b and c, kept as
// unchecked by run 2, were checked.
func TestMarkerOfARemovedMemberSpeaksForNoLaterRun(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf"), filepath.Join(dir, "c.conf")
	for _, f := range []string{a, b, c} {
		must(t, os.WriteFile(f, []byte(filepath.Base(f)+"2"), 0o644))
		must(t, os.WriteFile(hidden(f, keepNames[unreloaded][0]), []byte(filepath.Base(f)+"1"), 0o644))
	}
	must(t, writeCommit([]commitEntry{entryOf(a, "a.conf1", "a.conf2"), entryOf(b, "b.conf1", "b.conf2"), entryOf(c, "c.conf1", "c.conf2")})) // run 1: killed after the relabel, before the removal
	// run 2: a is no longer configured
	if rec, err := Recover([]string{b, c}); err != nil || len(rec.Pending) != 2 {
		t.Fatalf("run 2's Recover = %+v, %v", rec, err)
	}
	// run 2 finishes b and c with newer files: killed during c's in-place check
	run := &recoverAtRun{dests: []string{a, b, c}} // run 3's start: a is back
	ap := &Applier{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Run: run}
	ib, ic := item(b, "b.conf3", ""), item(c, "c.conf3", "nginx -t")
	ib.Unsettled, ic.Unsettled, ic.CheckInPlace = true, true, true
	ap.Apply(context.Background(), Group{Name: "g", Items: []Item{ib, ic}, Reload: &fakeReload{dest: b}})
	t.Logf("run 3's Recover: %+v, %v; dests %v", run.rec, run.err, run.held)
	if run.held[c] == "c.conf3" {
		t.Fatalf("c's unchecked candidate stays, taken as checked (pending %v)", run.rec.Pending)
	}
}

// entryOf is the marker line of an apply that kept kept beside path and
// put dest there.
func entryOf(path, kept, dest string) commitEntry {
	return commitEntry{digest(atomicfile.Current{Exists: true, Data: []byte(kept)}), digest(atomicfile.Current{Exists: true, Data: []byte(dest)}), path}
}
