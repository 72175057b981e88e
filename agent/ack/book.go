package ack

import (
	"sort"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

// Book folds the engine's results into a Record. It keeps, per resource, the
// revision of each directory its last successful apply reflected, and its
// last result. The zero Book is empty and ready; it is not safe for
// concurrent use.
type Book struct {
	res map[string]*entry
}

type entry struct {
	dirs   map[string]int64 // last good revision per directory (0: none yet)
	result string
	err    string
	at     time.Time
}

// Take records one transaction's results, at now.
func (b *Book) Take(sts []engine.Result, now time.Time) {
	if b.res == nil {
		b.res = map[string]*entry{}
	}
	for _, st := range sts {
		e := b.res[st.Name]
		if e == nil {
			e = &entry{dirs: map[string]int64{}}
			b.res[st.Name] = e
		}
		e.result, e.err, e.at = result(st.Outcome), "", now
		if st.Err != nil {
			e.err = st.Err.Error()
		}
		for d, rev := range st.DirRevs {
			if st.OK() {
				e.dirs[d] = rev
			} else if _, ok := e.dirs[d]; !ok {
				e.dirs[d] = 0 // failing from the start: nothing applied
			}
		}
	}
}

// Advance records that dir is current through rev without having changed
// since each resource's last apply: a resource whose last result was good
// now reflects dir through rev (one whose last apply failed or was refused
// does not move). It reports whether the record changed.
func (b *Book) Advance(dir string, rev int64) bool {
	moved := false
	for _, e := range b.res {
		if cur, ok := e.dirs[dir]; ok && !failing(e.result) && rev > cur {
			e.dirs[dir] = rev
			moved = true
		}
	}
	return moved
}

// Keep forgets every resource not named in names (after a configuration
// reload dropped it).
func (b *Book) Keep(names []string) {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	for n := range b.res {
		if !keep[n] {
			delete(b.res, n)
		}
	}
}

// Record is the announcement of name at now. Per directory, the revision is
// the lowest any resource reading it reflects, and the result is the first
// failure (by resource name) among them, else the latest result.
func (b *Book) Record(name string, now time.Time) Record {
	r := Record{Name: name, At: now, Dirs: map[string]Dir{}}
	names := make([]string, 0, len(b.res))
	for n := range b.res {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := b.res[n]
		for d, rev := range e.dirs {
			r.Dirs[d] = merge(r.Dirs[d], Dir{Revision: rev, At: e.at, Result: e.result, Error: e.err})
		}
	}
	return r
}

// merge folds one resource's view of a directory into the record's.
func merge(cur, add Dir) Dir {
	if cur.Result == "" {
		return add
	}
	out := cur
	out.Revision = min(cur.Revision, add.Revision)
	out.At = cur.At
	if add.At.After(cur.At) {
		out.At = add.At
	}
	switch {
	case failing(cur.Result):
	case failing(add.Result):
		out.Result, out.Error = add.Result, add.Error
	case add.At.After(cur.At):
		out.Result = add.Result
	}
	return out
}

func failing(result string) bool { return result != ResultApplied && result != ResultUnchanged }

// result is how an engine outcome is announced.
func result(o engine.Outcome) string {
	switch o {
	case engine.OutcomeApplied:
		return ResultApplied
	case engine.OutcomeUnchanged:
		return ResultUnchanged
	case engine.OutcomeRefused:
		return ResultRefused
	default:
		return ResultFailed
	}
}
