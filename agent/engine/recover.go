package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Recover repairs, per reload group, what a killed agent left beside the
// dests (apply.Recover): when the group's files were changing, being checked
// in place or rolled back, the previous files of the whole group are put
// back; when only the reload was not confirmed, the checked files stay. Stale
// staged files are swept. Either way the resources concerned are marked
// unsettled, so the group's next apply first reloads the files as they stand
// (finish). The agent calls it once at start, under its lock, before the
// first apply; until it has run, no apply finishes anything (a one-shot
// render next to a running agent must not touch the agent's kept files).
func (e *Engine) Recover() error {
	var errs []error
	for _, rs := range e.recoverySets() {
		if err := e.recoverSet(rs, true); err != nil {
			errs = append(errs, err)
		}
	}
	e.recovered = true
	return errors.Join(errs...)
}

// recoverSet runs apply.Recover for the resources of one group and marks
// those it names unsettled; atStart says it is the agent's start (else the
// group's own apply turn, where a pending file is the ordinary case of a
// reload owed and is logged at debug level).
func (e *Engine) recoverSet(rs []*resource.Resource, atStart bool) error {
	dests := make([]string, len(rs))
	for i, r := range rs {
		dests[i] = r.Dest
	}
	rec, err := apply.Recover(dests)
	if err != nil {
		err = fmt.Errorf("%s: %w", rs[0].Name, err)
	}
	for _, r := range rs {
		switch p, _ := atomicfile.Resolve(r.Dest); {
		case slices.Contains(rec.Restored, p):
			e.opts.Log.Warn("restored the previous file: an apply of its group stopped while its files changed, were checked in place or rolled back",
				"resource", r.Name, "dest", r.Dest)
			e.unsettled(r, true)
		case slices.Contains(rec.Pending, p):
			if atStart {
				e.opts.Log.Info("an apply stopped before its reload was confirmed: the next apply reloads the file as it stands, or rolls back to the one kept beside it",
					"resource", r.Name, "dest", r.Dest)
			}
			e.unsettled(r, true)
		}
	}
	return err
}

// recoverySets are the reload groups, and each resource whose template did
// not parse (in no group) on its own.
func (e *Engine) recoverySets() [][]*resource.Resource {
	in := map[*resource.Resource]bool{}
	var sets [][]*resource.Resource
	for _, g := range e.Groups() {
		sets = append(sets, e.groups[g])
		for _, r := range e.groups[g] {
			in[r] = true
		}
	}
	for _, r := range e.res {
		if !in[r] {
			sets = append(sets, []*resource.Resource{r})
		}
	}
	return sets
}

// finish completes, before group g's next apply, an earlier apply of it
// that did not finish (an agent killed, a rollback or its reload failed):
// the unsettled resources of g (Recover marks those a killed agent left).
// What an unfinished rollback or swap left is put back first (recoverSet);
// then the files as they stand are checked and reloaded again, or, when
// that fails, rolled back to the files the earlier apply kept beside them
// (and reloaded); a group whose unsettled files are all absent (a rollback
// removed them) is reloaded. So a restart never steps a file back to an
// older state while the newer one was good, and a reload owed is not lost
// when the new render is refused or fails. It returns, by resource, why
// what it had to finish is still not finished (ApplyCandidates reports it,
// so the group is retried). Settled groups cost nothing here.
func (e *Engine) finish(ctx context.Context, g string, rel apply.Reloader) map[string]error {
	if !e.recovered {
		return nil
	}
	var unsettled []*resource.Resource
	for _, r := range e.groups[g] {
		if e.isUnsettled(r) {
			unsettled = append(unsettled, r)
		}
	}
	if len(unsettled) == 0 {
		return nil
	}
	if err := e.recoverSet(e.groups[g], false); err != nil {
		e.opts.Log.Error("cannot repair what an unfinished apply left beside a destination", "group", g, "err", err)
	}
	var items []apply.Item
	var absent []*resource.Resource
	for _, r := range unsettled {
		switch it, ok, err := e.asIs(r); {
		case err != nil:
			e.opts.Log.Warn("cannot apply the file again as it stands", "resource", r.Name, "dest", r.Dest, "err", err)
		case ok:
			items = append(items, it)
		default:
			absent = append(absent, r)
		}
	}
	if len(items) == 0 {
		return e.reloadAbsent(ctx, g, rel, absent)
	}
	o, repeat := e.apply(ctx, "finish "+g, apply.Group{Name: g, Items: items, Reload: rel})
	e.logFinish(o, repeat)
	if o.Err() == nil { // the service has the group's files as they stand
		for _, r := range e.groups[g] {
			e.unsettled(r, false)
		}
		e.dropAbsent(absent)
		return nil
	}
	left := map[string]error{}
	for _, res := range o.Results {
		r := e.byName(g, res.Name)
		if !res.Unsettled && res.Err != nil && o.RolledBack {
			e.unsettled(r, false) // back to what the service accepted, and reloaded
			continue
		}
		left[res.Name] = &stageErr{stage: string(res.Stage), err: fmt.Errorf("the earlier apply of it is not finished: %w", res.Err)}
	}
	return left
}

// reloadAbsent reloads group g for unsettled resources whose dest is
// absent (nothing to apply again, but the service may still have the file
// a rollback removed), and drops what is kept beside them.
func (e *Engine) reloadAbsent(ctx context.Context, g string, rel apply.Reloader, absent []*resource.Resource) map[string]error {
	if len(absent) == 0 {
		return nil
	}
	if rel != nil && !e.opts.SyncOnly {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := rel.Reload(rctx)
		cancel()
		if err != nil && !errors.Is(err, apply.ErrNotRunning) {
			left := map[string]error{}
			for _, r := range absent {
				left[r.Name] = &stageErr{stage: string(apply.StageReload), err: fmt.Errorf("the earlier apply of it is not finished: %s: %w", rel, err)}
			}
			return left
		}
	}
	e.dropAbsent(absent)
	return nil
}

func (e *Engine) dropAbsent(absent []*resource.Resource) {
	for _, r := range absent {
		if err := apply.DropKept(r.Dest); err != nil {
			e.opts.Log.Warn("cannot remove the kept previous file", "resource", r.Name, "err", err)
			continue
		}
		e.unsettled(r, false)
	}
}

func (e *Engine) logFinish(o apply.Outcome, repeat bool) {
	for _, res := range o.Results {
		l := e.opts.Log.With("resource", res.Name, "dest", res.Dest)
		switch {
		case repeat:
			l.Debug("cannot finish the earlier apply, as before", "err", res.Err)
		case res.Err == nil:
			l.Info("finished the earlier apply: the file as it stands is applied again", "reloaded", o.Reloaded)
		case o.RolledBack && !res.Unsettled:
			l.Warn("the file as it stands failed when applied again: rolled back to the one the earlier apply replaced", "err", res.Err)
		default:
			l.Error("cannot finish the earlier apply", "err", res.Err)
		}
	}
}

func (e *Engine) byName(g, name string) *resource.Resource {
	for _, r := range e.groups[g] {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// stageErr is an error with the apply stage it failed at, for a Result.
type stageErr struct {
	stage string
	err   error
}

func (e *stageErr) Error() string { return e.err.Error() }
func (e *stageErr) Unwrap() error { return e.err }

// asIs is the item that applies r's dest again as it stands; false (and no
// error) when there is no file there.
func (e *Engine) asIs(r *resource.Resource) (apply.Item, bool, error) {
	cur, err := atomicfile.Read(r.Dest)
	if err != nil || !cur.Exists {
		return apply.Item{}, false, err
	}
	return apply.Item{Name: r.Name, Dest: r.Dest, Data: cur.Data, Mode: cur.Mode, UID: cur.UID, GID: cur.GID,
		CheckCmd: r.CheckCmd, CheckTimeout: r.CheckTimeout.Duration, CheckInPlace: r.InPlaceCheck(), Unsettled: true}, true, nil
}
