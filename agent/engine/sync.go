package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/format"
	"github.com/confwatch/confwatch/agent/guard"
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Source is the data a render reads: one tree per etcd directory, all at one
// revision. Trees must not change while the engine renders from them. Err is
// why a directory could not be read (nil when it was): a resource reading it
// fails with that error instead of rendering from an empty tree.
type Source interface {
	Revision() int64
	Tree(dir string) *kv.Tree
	Err(dir string) error
}

// DirRevisioner is implemented by a Source whose directories can be current
// through different revisions (the watch loop's cache): DirRevision(dir) is
// the revision through which dir's tree holds every change. A Source without
// it reads every directory at Revision().
type DirRevisioner interface {
	DirRevision(dir string) int64
}

// dirRevisions is, for each directory r reads, the revision its tree in src
// reflects.
func dirRevisions(r *resource.Resource, src Source) map[string]int64 {
	out := make(map[string]int64, len(r.Dirs))
	dr, ok := src.(DirRevisioner)
	for _, d := range r.Dirs {
		out[d] = src.Revision()
		if ok {
			out[d] = min(dr.DirRevision(d), src.Revision())
		}
	}
	return out
}

// Candidate is one resource rendered, before anything is applied.
type Candidate struct {
	Res      *resource.Resource
	Revision int64
	DirRevs  map[string]int64 // per directory read, the revision its data reflects (see DirRevisioner)
	Data     []byte
	Counts   []int
	Err      error // rendering failed
	Refused  error // a guard refused it (*guard.Refusal)
}

// Prepare renders r from src and runs its guards.
func (e *Engine) Prepare(r *resource.Resource, src Source) Candidate {
	c := Candidate{Res: r, Revision: src.Revision(), DirRevs: dirRevisions(r, src)}
	if c.Err = dirsErr(r, src); c.Err != nil {
		return c
	}
	view := kv.View{Prefix: r.Prefix}
	for _, d := range r.Dirs {
		view.Dirs = append(view.Dirs, kv.Dir{Key: d, Tree: src.Tree(d)})
	}
	view = view.Resolved()
	c.Counts = view.Count()
	t, ok := e.tmpl[r.Name]
	if !ok {
		c.Err = fmt.Errorf("template %s was not parsed", r.SrcPath)
		return c
	}
	c.Data, c.Err = t.ExecuteMax(view, r.OutputLimit)
	if c.Err == nil {
		c.Err = format.Check(r.OutputFormat, c.Data)
	}
	if c.Err != nil {
		c.Err = fmt.Errorf("render %s: %w", r.Name, c.Err)
		return c
	}
	policy := guard.Policy{AllowEmpty: r.AllowEmpty, MaxShrink: r.Shrink}
	prev := e.opts.State.Get(stateKey(r)).CountsFor(r.Dirs)
	err := guard.Check(policy, r.Dirs, prev, c.Counts)
	if err == nil {
		err = guard.Blank(policy, r.Dirs, c.Counts, c.Data)
	}
	if err != nil && !e.opts.Force {
		c.Refused = err
	}
	return c
}

// dirsErr is why a directory of r could not be read, or nil.
func dirsErr(r *resource.Resource, src Source) error {
	var errs []error
	for _, d := range r.Dirs {
		if err := src.Err(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SyncGroup renders and applies one reload group from src.
func (e *Engine) SyncGroup(ctx context.Context, g string, src Source) []Result {
	rs := e.groups[g]
	cands := make([]Candidate, len(rs))
	for i, r := range rs {
		cands[i] = e.Prepare(r, src)
	}
	return e.ApplyCandidates(ctx, g, cands)
}

// ApplyCandidates applies the candidates of group g that rendered and passed
// their guards, in one transaction, and returns each resource's Result
// (recording what was applied in the state store).
func (e *Engine) ApplyCandidates(ctx context.Context, g string, cands []Candidate) (res []Result) {
	rel := e.reloader(g)
	var unfinished map[string]error
	if !e.opts.Noop {
		unfinished = e.finish(ctx, g, rel)
	}
	defer func() { res = e.reportUnfinished(res, unfinished) }()
	var items []apply.Item
	byName := map[string]*Candidate{}
	out := make([]Result, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		byName[c.Res.Name] = c
		if st, done := e.settled(c); done {
			out = append(out, st)
			continue
		}
		items = append(items, e.item(c))
	}
	if e.opts.Noop {
		return inOrder(cands, append(out, e.noop(items, byName)...))
	}
	if len(items) == 0 {
		return inOrder(cands, out)
	}
	// Record the intent first: if the agent dies between the swap and the
	// reload, the next start redoes the apply instead of finding the file
	// "unchanged".
	for _, it := range items {
		e.unsettled(byName[it.Name].Res, true)
	}
	o, repeat := e.apply(ctx, g, apply.Group{Name: g, Items: items, Reload: rel})
	for _, res := range o.Results {
		c := byName[res.Name]
		st := Result{Name: res.Name, Dest: res.Dest, Revision: c.Revision, DirRevs: c.DirRevs, Changed: res.Changed,
			Reloaded: o.Reloaded, RolledBack: o.RolledBack, Check: o.Check, Reload: o.ReloadTime}
		switch {
		case res.Err != nil:
			st.Outcome, st.Err, st.Stage = OutcomeFailed, res.Err, string(res.Stage)
		case res.Changed:
			st.Outcome = OutcomeApplied
		default:
			st.Outcome = OutcomeUnchanged
		}
		st.DestExists = exists(res.Dest)
		if st.OK() {
			e.record(c)
		} else if !res.Unsettled {
			e.unsettled(c.Res, false) // dest is back to what it was
		}
		if repeat {
			e.opts.Log.Debug("failed again, as before", "resource", st.Name, "err", st.Err)
		} else {
			e.log(st)
		}
		out = append(out, st)
	}
	return inOrder(cands, out)
}

// reportUnfinished turns the result of each resource whose earlier apply
// finish could not finish, and that is still unsettled, into a failure at
// the stage it stopped, so that the group is retried (with backoff) and
// STATUS says so: a refusal or an unchanged render would wait for new data.
func (e *Engine) reportUnfinished(res []Result, unfinished map[string]error) []Result {
	for i := range res {
		st := &res[i]
		err, ok := unfinished[st.Name]
		if !ok || st.Outcome == OutcomeFailed {
			continue
		}
		if r := e.byName(e.groupOf(st.Name), st.Name); r == nil || !e.isUnsettled(r) {
			continue
		}
		st.Outcome, st.Err, st.Stage = OutcomeFailed, err, string(apply.StageReload)
		var se *stageErr
		if errors.As(err, &se) && se.stage != "" {
			st.Stage = se.stage
		}
	}
	return res
}

// groupOf is the group of the resource named name.
func (e *Engine) groupOf(name string) string {
	for g, rs := range e.groups {
		for _, r := range rs {
			if r.Name == name {
				return g
			}
		}
	}
	return ""
}

// reloader is group g's reload action, or nil.
func (e *Engine) reloader(g string) apply.Reloader {
	if rs := e.groups[g]; len(rs) > 0 {
		return e.opts.Reloaders(rs[0])
	}
	return nil
}

// inOrder sorts results into the order of the candidates.
func inOrder(cands []Candidate, sts []Result) []Result {
	by := make(map[string]Result, len(sts))
	for _, s := range sts {
		by[s.Name] = s
	}
	out := make([]Result, 0, len(sts))
	for _, c := range cands {
		if s, ok := by[c.Res.Name]; ok {
			out = append(out, s)
		}
	}
	return out
}

// settled handles candidates that cannot be applied: render failures and
// refusals. A refused render that equals the file already in place (say,
// after `render --force`) counts as applied.
func (e *Engine) settled(c *Candidate) (Result, bool) {
	st := Result{Name: c.Res.Name, Dest: c.Res.Dest, Revision: c.Revision, DirRevs: c.DirRevs, DestExists: exists(c.Res.Dest)}
	switch {
	case c.Err != nil:
		st.Outcome, st.Err = OutcomeFailed, c.Err
	case c.Refused != nil:
		if cur, err := atomicfile.Read(c.Res.Dest); err == nil && cur.Exists && bytes.Equal(cur.Data, c.Data) && !e.isUnsettled(c.Res) {
			st.Outcome = OutcomeUnchanged
			e.record(c)
			break
		}
		st.Outcome, st.Err = OutcomeRefused, c.Refused
	default:
		return st, false
	}
	e.log(st)
	return st, true
}

func (e *Engine) noop(items []apply.Item, byName map[string]*Candidate) []Result {
	var out []Result
	for _, it := range items {
		c := byName[it.Name]
		cur, err := atomicfile.Read(it.Dest) // never blocks on a FIFO
		st := Result{Name: it.Name, Dest: it.Dest, Revision: c.Revision, DirRevs: c.DirRevs, Outcome: OutcomeUnchanged, DestExists: cur.Exists}
		if err != nil || !cur.Exists || !bytes.Equal(cur.Data, it.Data) {
			st.Outcome, st.Changed = OutcomeWouldChange, true
		}
		if st.Changed {
			e.opts.Log.Info("noop: would change; not modified", "resource", it.Name, "dest", it.Dest)
		} else {
			e.opts.Log.Info("noop: up to date; nothing would change", "resource", it.Name, "dest", it.Dest)
		}
		out = append(out, st)
	}
	return out
}

func (e *Engine) record(c *Candidate) {
	if err := e.opts.State.Put(stateKey(c.Res), state.Applied{Revision: c.Revision, Dirs: c.Res.Dirs, Counts: c.Counts, At: time.Now()}); err != nil {
		e.opts.Log.Warn("cannot record applied state; guards fall back to memory", "resource", c.Res.Name, "err", err)
	}
}

func (e *Engine) log(st Result) {
	l := e.opts.Log.With("resource", st.Name, "dest", st.Dest, "revision", st.Revision)
	switch st.Outcome {
	case OutcomeApplied:
		l.Info("applied", "reloaded", st.Reloaded, "check", st.Check, "reload", st.Reload)
	case OutcomeUnchanged:
		l.Debug("unchanged")
	case OutcomeRefused:
		l.Warn("refused by guard: keeping the last good file", "reason", st.Err)
	case OutcomeFailed:
		l.Error("failed", "err", st.Err, "rolled_back", st.RolledBack)
	}
}

func (e *Engine) item(c *Candidate) apply.Item {
	r := c.Res
	prev := e.opts.State.Get(stateKey(r))
	return apply.Item{Name: r.Name, Dest: r.Dest, Data: c.Data, Mode: r.FileMode, UID: r.UID, GID: r.GID,
		CheckCmd: r.CheckCmd, CheckTimeout: r.CheckTimeout.Duration, CheckInPlace: r.InPlaceCheck(),
		// Only once Recover has run may an apply take over what an earlier
		// one kept (a one-shot render next to a running agent must not).
		Unsettled: e.recovered && prev != nil && prev.Unsettled}
}

func (e *Engine) isUnsettled(r *resource.Resource) bool {
	a := e.opts.State.Get(stateKey(r))
	return a != nil && a.Unsettled
}

func (e *Engine) unsettled(r *resource.Resource, on bool) {
	if err := e.opts.State.SetUnsettled(stateKey(r), on); err != nil {
		e.opts.Log.Warn("cannot record apply state", "resource", r.Name, "err", err)
	}
}

// stateKey is where r's applied state is kept: per name and dest, so
// resources of one name in two confdirs sharing a state dir keep apart.
func stateKey(r *resource.Resource) string { return state.Key(r.Name, r.Dest) }

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
