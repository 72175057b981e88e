// Package plan writes what `confwatch plan` shows for a resource: the etcd
// revision rendered from, the keys changed since the last recorded apply, a
// unified diff against the current destination, and the action that would
// follow or the guard that would refuse it. It changes nothing.
package plan

import (
	"fmt"
	"io"
	"sort"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// maxKeys is how many changed keys Write lists before "... and N more".
const maxKeys = 50

// All prints the plan of every resource of eng, rendered from snap, to w
// and returns how many are not in their wanted state.
func All(w io.Writer, eng *engine.Engine, snap *etcd.Snapshot) (pending int) {
	trees := snap.Trees()
	for _, r := range eng.Resources() {
		if Write(w, eng, r, snap, eng.Prepare(r, trees)) {
			pending++
		}
	}
	return pending
}

// Write prints the plan of r, rendered as c from snap, to w, and reports
// whether r is not in its wanted state (something would change, be refused
// or fail).
func Write(w io.Writer, eng *engine.Engine, r *resource.Resource, snap *etcd.Snapshot, c engine.Candidate) bool {
	fmt.Fprintf(w, "== %s -> %s (etcd revision %d)\n", r.Name, r.Dest, c.Revision)
	changedKeys(w, eng, r, snap)
	if c.Err != nil {
		fmt.Fprintf(w, "action: none: render failed: %v\n\n", c.Err)
		return true
	}
	f, err := atomicfile.Read(r.Dest) // never blocks on a FIFO dest
	cur := f.Data
	if err == nil && f.Exists && string(cur) == string(c.Data) {
		fmt.Fprintf(w, "action: none (up to date)\n\n")
		return false
	}
	diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(cur)), B: difflib.SplitLines(string(c.Data)),
		FromFile: r.Dest, ToFile: r.Dest + " (rendered)", Context: 3})
	fmt.Fprint(w, diff)
	if c.Refused != nil {
		fmt.Fprintf(w, "action: none: %v\n\n", c.Refused)
		return true
	}
	fmt.Fprintf(w, "action: %s\n\n", eng.Action(r))
	return true
}

// changedKeys lists keys changed since the last recorded apply.
func changedKeys(w io.Writer, eng *engine.Engine, r *resource.Resource, snap *etcd.Snapshot) {
	prev := eng.Applied(r)
	if prev == nil {
		fmt.Fprintf(w, "keys: no earlier apply recorded\n")
		return
	}
	var changed []string
	total, created := 0, 0
	for _, d := range r.Dirs {
		for _, e := range snap.Dirs[d] {
			total++
			switch {
			case e.CreateRevision > prev.Revision:
				created++
				changed = append(changed, "+ "+e.Key)
			case e.ModRevision > prev.Revision:
				changed = append(changed, "~ "+e.Key)
			}
		}
	}
	sort.Strings(changed)
	before := 0
	for _, n := range prev.Counts {
		before += n
	}
	removed := before - (total - created)
	fmt.Fprintf(w, "keys since revision %d: %d added or changed, %d removed\n", prev.Revision, len(changed), max(removed, 0))
	for i, k := range changed {
		if i == maxKeys {
			fmt.Fprintf(w, "  ... and %d more\n", len(changed)-maxKeys)
			break
		}
		fmt.Fprintf(w, "  %s\n", k)
	}
}
