package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
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

// keepPrevious puts the current file of every in-place-checked item on disk
// beside it (see keep) before the swap, so that an agent killed during the
// check restores it at its next start (Recover) instead of keeping the
// unchecked candidate.
func (a *Applier) keepPrevious(todo []*pending, reload bool) error {
	for _, p := range todo {
		if reload || a.inPlace(p) {
			if err := keep(p.path, p.old); err != nil {
				return &stageErr{StageStage, err, p.item.Name}
			}
			p.kept = true
		}
	}
	return nil
}

// dropPrevious removes the kept previous files once they are not needed: the
// in-place check passed and the reload (if any) succeeded, or the rollback
// put them back.
func (a *Applier) dropPrevious(todo []*pending) {
	for _, p := range todo {
		if p.kept {
			if err := unkeep(p.path); err != nil {
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
		// dest may change from here on, even if swap fails half-way (an
		// in-place write after O_TRUNC, a rename whose directory sync
		// failed): rollback must restore it.
		p.swapped = true
		inPlace, err := swap(p.staged, p.path, p.item.Data, p.want)
		if err != nil {
			return &stageErr{StageSwap, err, p.item.Name}
		}
		p.staged = ""
		if inPlace {
			a.Log.Warn("destination is a mount point: rewrote it in place, not atomically", "resource", p.item.Name, "dest", p.item.Dest)
		}
	}
	return nil
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
