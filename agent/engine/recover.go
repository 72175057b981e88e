package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Recover repairs, per reload group, what a killed agent left beside the
// dests (apply.Recover): when an in-place check of the group was pending, the
// previous files of the whole group are put back; when only the reload was
// not confirmed, the checked files stay and the group's next apply finishes
// the interrupted one (finish). Stale staged files are swept. The agent calls
// it once at start, under its lock, before the first apply; the resources it
// names stay unsettled, so they are applied and reloaded again.
func (e *Engine) Recover() error {
	var errs []error
	for _, rs := range e.recoverySets() {
		dests := make([]string, len(rs))
		for i, r := range rs {
			dests[i] = r.Dest
		}
		rec, err := apply.Recover(dests)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rs[0].Name, err))
		}
		for _, r := range rs {
			switch p, _ := atomicfile.Resolve(r.Dest); {
			case contains(rec.Restored, p):
				e.opts.Log.Warn("restored the previous file: the agent stopped during an in-place check of its group", "resource", r.Name, "dest", r.Dest)
				e.unsettled(r, true)
			case contains(rec.Pending, p):
				e.opts.Log.Info("the agent stopped before a reload was confirmed: the next apply reloads the file, or rolls back to the one kept beside it",
					"resource", r.Name, "dest", r.Dest)
				e.unsettled(r, true)
			}
		}
	}
	return errors.Join(errs...)
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

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// finish completes an apply of group g that an agent (this one, or one
// killed before it started) left unfinished (apply.Interrupted), before the
// group's next apply: the files at those dests as they stand, which that
// apply checked and swapped in, are checked again and reloaded, or rolled
// back to the files they replaced. So a restart never steps a file back to
// an older state while the newer one was good, and a reload never goes
// missing.
func (e *Engine) finish(ctx context.Context, g string, rel apply.Reloader) {
	var items []apply.Item
	for _, r := range e.groups[g] {
		if it, ok := e.asIs(r); ok {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return
	}
	o, repeat := e.apply(ctx, "finish "+g, apply.Group{Name: g, Items: items, Reload: rel})
	byName := map[string]*resource.Resource{}
	for _, r := range e.groups[g] {
		byName[r.Name] = r
	}
	for _, res := range o.Results {
		l := e.opts.Log.With("resource", res.Name, "dest", res.Dest)
		switch {
		case repeat:
			l.Debug("cannot finish the interrupted apply, as before", "err", res.Err)
		case res.Err == nil:
			l.Info("finished the interrupted apply: the file in place is checked and reloaded", "reloaded", o.Reloaded)
		case o.RolledBack:
			l.Warn("the interrupted apply failed when finished: rolled back to the file it replaced", "err", res.Err)
		default:
			l.Error("cannot finish the interrupted apply", "err", res.Err)
		}
		if !res.Unsettled && (res.Err == nil || o.RolledBack) {
			e.unsettled(byName[res.Name], false)
		}
	}
	if o.Err() == nil { // the service has the group's files as they stand
		for _, r := range e.groups[g] {
			e.unsettled(r, false)
		}
	}
}

// asIs is the item that applies r's dest as it stands, when an interrupted
// apply left a previous file beside it.
func (e *Engine) asIs(r *resource.Resource) (apply.Item, bool) {
	if !apply.Interrupted(r.Dest) {
		return apply.Item{}, false
	}
	cur, err := atomicfile.Read(r.Dest)
	if err != nil || !cur.Exists {
		e.opts.Log.Warn("cannot finish the interrupted apply: the file in place cannot be read", "resource", r.Name, "dest", r.Dest, "err", err)
		return apply.Item{}, false
	}
	return apply.Item{Name: r.Name, Dest: r.Dest, Data: cur.Data, Mode: cur.Mode, UID: cur.UID, GID: cur.GID,
		CheckCmd: r.CheckCmd, CheckTimeout: r.CheckTimeout.Duration, CheckInPlace: r.InPlaceCheck(), Unsettled: true}, true
}
