package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// stageErr tags an error with the stage it came from and, when one item's
// step failed, that item's name (mark tells its siblings).
type stageErr struct {
	stage Stage
	err   error
	item  string
}

func (e *stageErr) Error() string { return e.err.Error() }
func (e *stageErr) Unwrap() error { return e.err }

func (a *Applier) stageAndCheck(ctx context.Context, todo []*pending) error {
	for _, p := range todo {
		staged, err := writeStage(p.path, p.item.Data, p.want)
		if err != nil {
			return &stageErr{StageStage, err, p.item.Name}
		}
		p.staged = staged
	}
	if a.NoReload {
		return nil
	}
	for _, p := range todo {
		if p.item.CheckCmd == "" || p.item.CheckInPlace {
			continue
		}
		if err := a.check(ctx, p, p.staged); err != nil {
			return err
		}
	}
	return nil
}

// inPlace reports whether p's check runs with the candidate at dest.
func (a *Applier) inPlace(p *pending) bool {
	return !a.NoReload && p.item.CheckCmd != "" && p.item.CheckInPlace
}

// keepPrevious durably keeps the current file of every item beside it
// before the swap when the group reloads or checks in place, so that a kill
// before the end leaves something to return to (keep). The kind is
// unchecked when several files of the group are about to change, or one
// with an in-place check (dest is then not a set every check has passed
// until the swaps and the in-place checks are done: Recover puts the whole
// group back), and unreloaded otherwise (one file swapped by one rename
// after its check, or files applied again as they stand).
// A file an interrupted apply kept stays, relabelled: it is what the
// service last ran, or older.
func (a *Applier) keepPrevious(todo []*pending, reload bool) error {
	kind, inPlace, changing := unreloaded, false, 0
	for _, p := range todo {
		inPlace = inPlace || a.inPlace(p)
		if !p.cur.Same(p.item.Data, p.want) {
			changing++
		}
	}
	// One file changing, checked before the swap: its swap is one rename,
	// so dest is at every moment a set every check passed (the file before,
	// or the checked candidate) and the kind can be unreloaded from the
	// start; a kill right after the rename then reloads, never steps back.
	// (swapOne relabels it if the rename has to become an in-place write.)
	if changing > 1 || changing == 1 && inPlace {
		kind = unchecked
	}
	if kind == unchecked {
		a.relabel(todo, unchecked, true)
	}
	for _, p := range todo {
		if p.kept || !reload && !inPlace {
			continue
		}
		if err := keep(p.path, p.old, kind); err != nil {
			return &stageErr{StageStage, err, p.item.Name}
		}
		p.kept, p.keptKind, p.keptExists = true, kind, p.old.Exists
	}
	return nil
}

// relabel gives every kept file kind to; durable syncs the directories
// (needed when a crash must not find the old kind, as before a rollback; a
// relabel to unreloaded that a crash loses only puts the files back too
// early). A failure is logged: the file keeps its kind.
func (a *Applier) relabel(todo []*pending, to keepKind, durable bool) {
	for _, p := range todo {
		if !p.kept || p.keptKind == to {
			continue
		}
		if err := relabel(p.path, p.keptKind, to, p.keptExists, durable); err != nil {
			a.Log.Warn("cannot relabel the kept previous file", "resource", p.item.Name, "err", err)
			continue
		}
		p.keptKind = to
	}
}

// dropKept removes the kept previous files once they are not needed: the
// in-place check passed and the reload (if any) succeeded, or the rollback
// and its reload put them back (all), or the apply ended before any swap
// (all but those an interrupted apply kept: it is still not finished).
func (a *Applier) dropKept(todo []*pending, all bool) {
	for _, p := range todo {
		if p.kept && (all || !p.inherited) {
			if err := unkeepOne(p.path, p.keptKind, p.keptExists); err != nil {
				a.Log.Warn("cannot remove the kept previous file", "resource", p.item.Name, "err", err)
			}
			p.kept = false
		}
	}
}

// checkInPlace runs the checks that need the candidate at its destination.
func (a *Applier) checkInPlace(ctx context.Context, todo []*pending) error {
	for _, p := range todo {
		if a.inPlace(p) {
			if err := a.check(ctx, p, p.item.Dest); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Applier) check(ctx context.Context, p *pending, src string) error {
	if err := ctx.Err(); err != nil {
		return &stageErr{StageCheck, err, ""}
	}
	cmd, err := Expand(p.item.CheckCmd, src, p.item.Dest)
	if err != nil {
		return &stageErr{StageCheck, err, p.item.Name}
	}
	out, err := a.Run.Run(ctx, cmd, p.item.CheckTimeout)
	a.logOutput("check_cmd", p.item.Name, cmd, out, err)
	if err != nil {
		return &stageErr{StageCheck, withOutput(err, out), p.item.Name}
	}
	return nil
}

func (a *Applier) swapAll(todo []*pending) error {
	for _, p := range todo {
		if p.cur.Same(p.item.Data, p.want) {
			continue // applied again as it stands: nothing to write
		}
		// dest may change from here on, even if swap fails half-way (an
		// in-place write after O_TRUNC, a rename whose directory sync
		// failed): rollback must restore it.
		p.swapped, p.wrote = true, true
		if err := a.swapOne(p); err != nil {
			return &stageErr{StageSwap, err, p.item.Name}
		}
	}
	return nil
}

// swapOne moves p's staged file over its destination atomically; when the
// destination is a mount point (rename gives EBUSY, as for a bind-mounted
// single file) it rewrites it in place instead, which is not atomic: the
// kept file is first labelled unchecked, so a kill mid-write puts it back.
func (a *Applier) swapOne(p *pending) error {
	err := atomicfile.Rename(p.staged, p.path)
	if !errors.Is(err, syscall.EBUSY) {
		if err == nil {
			p.staged = ""
		}
		return err
	}
	_ = os.Remove(p.staged)
	p.staged = ""
	a.relabel([]*pending{p}, unchecked, true)
	a.Log.Warn("destination is a mount point: rewriting it in place, not atomically", "resource", p.item.Name, "dest", p.item.Dest)
	return atomicfile.Overwrite(p.path, p.item.Data, p.want)
}

// rollback restores every swapped destination; the error lists those it
// could not restore.
func (a *Applier) rollback(todo []*pending) error {
	var errs []error
	for _, p := range todo {
		if !p.swapped {
			continue
		}
		if err := restore(p.path, p.old); err != nil {
			a.Log.Error("rollback failed", "resource", p.item.Name, "dest", p.item.Dest, "err", err)
			errs = append(errs, fmt.Errorf("rollback of %s: %w", p.item.Dest, err))
			continue
		}
		p.swapped = false
		a.Log.Warn("rolled back", "resource", p.item.Name, "dest", p.item.Dest)
	}
	return errors.Join(errs...)
}

func (a *Applier) cleanup(todo []*pending) {
	for _, p := range todo {
		if p.staged != "" {
			_ = os.Remove(p.staged)
			p.staged = ""
		}
	}
}

// maxLogged bounds the command output one log line carries.
const maxLogged = 4000

func (a *Applier) logOutput(what, name, cmd string, out []byte, err error) {
	msg := clip(strings.TrimSpace(string(out)), maxLogged)
	if err != nil {
		a.Log.Error(what+" failed", "resource", name, "cmd", cmd, "err", err, "output", msg)
		return
	}
	a.Log.Debug(what+" ok", "resource", name, "cmd", cmd, "output", msg)
}

// mark fills in the results of the items that were attempted.
func mark(o Outcome, todo []*pending, err error) Outcome {
	names := map[string]bool{}
	for _, p := range todo {
		names[p.item.Name] = true
	}
	var se *stageErr
	stage := StageNone
	if errors.As(err, &se) {
		stage = se.stage
	}
	for i := range o.Results {
		r := &o.Results[i]
		if !names[r.Name] {
			continue
		}
		switch {
		case err == nil:
			r.Applied = true
		case se != nil && se.item != "" && se.item != r.Name:
			r.Err, r.Stage, r.Applied = siblingErr(se), stage, false
		default:
			r.Err, r.Stage, r.Applied = err, stage, false
		}
	}
	return o
}

// siblingErr is what an item is told when another item of its group failed
// a step: which one, at what stage, with that one's error (its command,
// say) but not its command's output, which that item's own result carries.
func siblingErr(se *stageErr) error {
	cause := se.err
	var oe *outputErr
	if errors.As(cause, &oe) {
		cause = oe.err
	}
	return &stageErr{se.stage, fmt.Errorf("not applied: the %s of %s, in the same group, failed: %w", se.stage, se.item, cause), se.item}
}

type outputErr struct {
	err error
	out string
}

func (e *outputErr) Error() string {
	if e.out == "" {
		return e.err.Error()
	}
	return e.err.Error() + ": " + e.out
}
func (e *outputErr) Unwrap() error { return e.err }

func withOutput(err error, out []byte) error {
	return &outputErr{err, clip(strings.TrimSpace(string(out)), 2000)}
}

// clip cuts s to at most n bytes (on a rune boundary), marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("... [%d bytes more]", len(s)-n)
}
