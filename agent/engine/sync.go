package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/guard"
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
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

// Candidate is one resource rendered, before anything is applied.
type Candidate struct {
	Res      *resource.Resource
	Revision int64
	Data     []byte
	Counts   []int
	Err      error // rendering failed
	Refused  error // a guard refused it (*guard.Refusal)
}

// Prepare renders r from src and runs its guards.
func (e *Engine) Prepare(r *resource.Resource, src Source) Candidate {
	c := Candidate{Res: r, Revision: src.Revision()}
	if c.Err = dirsErr(r, src); c.Err != nil {
		return c
	}
	view := kv.View{Prefix: r.Prefix}
	for _, d := range r.Dirs {
		view.Dirs = append(view.Dirs, kv.Dir{Key: d, Tree: src.Tree(d)})
	}
	c.Counts = view.Count()
	t, ok := e.tmpl[r.Name]
	if !ok {
		c.Err = fmt.Errorf("template %s was not parsed", r.SrcPath)
		return c
	}
	c.Data, c.Err = t.Execute(view)
	if c.Err != nil {
		c.Err = fmt.Errorf("render %s: %w", r.Name, c.Err)
		return c
	}
	policy := guard.Policy{AllowEmpty: r.AllowEmpty, MaxShrink: r.Shrink}
	prev := e.opts.State.Get(r.Name).CountsFor(r.Dirs)
	if err := guard.Check(policy, r.Dirs, prev, c.Counts); err != nil && !e.opts.Force {
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
func (e *Engine) SyncGroup(ctx context.Context, g string, src Source) []Status {
	rs := e.groups[g]
	cands := make([]Candidate, len(rs))
	for i, r := range rs {
		cands[i] = e.Prepare(r, src)
	}
	return e.ApplyCandidates(ctx, g, cands)
}

// ApplyCandidates applies the candidates of group g that rendered and passed
// their guards, in one transaction, and records each resource's status.
func (e *Engine) ApplyCandidates(ctx context.Context, g string, cands []Candidate) []Status {
	var items []apply.Item
	byName := map[string]*Candidate{}
	out := make([]Status, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		byName[c.Res.Name] = c
		if st, done := e.settled(c); done {
			out = append(out, st)
			continue
		}
		items = append(items, e.item(c))
	}
	if len(items) == 0 {
		return inOrder(cands, out)
	}
	if e.opts.Noop {
		return inOrder(cands, append(out, e.noop(items, byName)...))
	}
	var rel apply.Reloader
	if rs := e.groups[g]; len(rs) > 0 {
		rel = e.opts.Reloaders(rs[0])
	}
	// Record the intent first: if the agent dies between the swap and the
	// reload, the next start redoes the apply instead of finding the file
	// "unchanged".
	for _, it := range items {
		e.unsettled(it.Name, true)
	}
	o := e.applier.Apply(ctx, apply.Group{Name: g, Items: items, Reload: rel})
	for _, res := range o.Results {
		c := byName[res.Name]
		st := Status{Name: res.Name, Dest: res.Dest, Revision: c.Revision, Changed: res.Changed,
			Reloaded: o.Reloaded, RolledBack: o.RolledBack, Check: o.Check, Reload: o.ReloadTime}
		switch {
		case res.Err != nil:
			st.State, st.Err, st.Stage = StateFailed, res.Err, string(res.Stage)
		case res.Changed:
			st.State = StateOK
		default:
			st.State = StateUnchanged
		}
		st.DestExists = exists(res.Dest)
		if st.OK() {
			e.record(c)
		} else if !res.Unsettled {
			e.unsettled(res.Name, false) // dest is back to what it was
		}
		e.log(st)
		e.setStatus(st)
		out = append(out, st)
	}
	return inOrder(cands, out)
}

// inOrder sorts statuses into the order of the candidates.
func inOrder(cands []Candidate, sts []Status) []Status {
	by := make(map[string]Status, len(sts))
	for _, s := range sts {
		by[s.Name] = s
	}
	out := make([]Status, 0, len(sts))
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
func (e *Engine) settled(c *Candidate) (Status, bool) {
	st := Status{Name: c.Res.Name, Dest: c.Res.Dest, Revision: c.Revision, DestExists: exists(c.Res.Dest)}
	switch {
	case c.Err != nil:
		st.State, st.Err = StateFailed, c.Err
	case c.Refused != nil:
		if cur, err := os.ReadFile(c.Res.Dest); err == nil && bytes.Equal(cur, c.Data) {
			st.State = StateUnchanged
			e.record(c)
			break
		}
		st.State, st.Err = StateRefused, c.Refused
	default:
		return st, false
	}
	e.log(st)
	e.setStatus(st)
	return st, true
}

func (e *Engine) noop(items []apply.Item, byName map[string]*Candidate) []Status {
	var out []Status
	for _, it := range items {
		c := byName[it.Name]
		cur, err := os.ReadFile(it.Dest)
		st := Status{Name: it.Name, Dest: it.Dest, Revision: c.Revision, State: StateUnchanged, DestExists: err == nil}
		if err != nil || !bytes.Equal(cur, it.Data) {
			st.State, st.Changed = StateWouldDo, true
		}
		e.opts.Log.Warn("noop: destination not modified", "resource", it.Name, "dest", it.Dest, "would_change", st.Changed)
		e.setStatus(st)
		out = append(out, st)
	}
	return out
}

func (e *Engine) record(c *Candidate) {
	if err := e.opts.State.Put(c.Res.Name, state.Applied{Revision: c.Revision, Dirs: c.Res.Dirs, Counts: c.Counts, At: time.Now()}); err != nil {
		e.opts.Log.Warn("cannot record applied state; guards fall back to memory", "resource", c.Res.Name, "err", err)
	}
}

func (e *Engine) log(st Status) {
	l := e.opts.Log.With("resource", st.Name, "dest", st.Dest, "revision", st.Revision)
	switch st.State {
	case StateOK:
		l.Info("applied", "reloaded", st.Reloaded, "check", st.Check, "reload", st.Reload)
	case StateUnchanged:
		l.Debug("unchanged")
	case StateRefused:
		l.Warn("refused by guard: keeping the last good file", "reason", st.Err)
	case StateFailed:
		l.Error("failed", "err", st.Err, "rolled_back", st.RolledBack)
	}
}

func (e *Engine) item(c *Candidate) apply.Item {
	r := c.Res
	prev := e.opts.State.Get(r.Name)
	return apply.Item{Name: r.Name, Dest: r.Dest, Data: c.Data, Mode: r.FileMode, UID: r.UID, GID: r.GID,
		CheckCmd: r.CheckCmd, CheckTimeout: r.CheckTimeout.Duration, CheckInPlace: r.InPlaceCheck(),
		Unsettled: prev != nil && prev.Unsettled}
}

func (e *Engine) unsettled(name string, on bool) {
	if err := e.opts.State.SetUnsettled(name, on); err != nil {
		e.opts.Log.Warn("cannot record apply state", "resource", name, "err", err)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
