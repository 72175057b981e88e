// Package plan writes what `confwatch plan` shows for a resource: the etcd
// revision rendered from, the keys changed since the last recorded apply, a
// unified diff against the current destination, and the action that would
// follow or the guard that would refuse it. It changes nothing.
package plan

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

// maxKeys is how many changed keys Write lists before "... and N more".
const maxKeys = 50

// Earlier reads dirs as they were at revision rev (etcd.ReadAt), for the
// keys removed since the last apply; an error (say, rev compacted) leaves
// only their count.
type Earlier func(rev int64, dirs []string) (*etcd.Snapshot, error)

// All prints the plan of every resource of eng, rendered from snap, to w
// and returns how many are not in their wanted state.
func All(w io.Writer, eng *engine.Engine, snap *etcd.Snapshot, earlier Earlier) (pending int) {
	trees := snap.Trees()
	for _, r := range eng.Resources() {
		if Write(w, eng, r, snap, eng.Prepare(r, trees), earlier) {
			pending++
		}
	}
	return pending
}

// Write prints the plan of r, rendered as c from snap, to w, and reports
// whether r is not in its wanted state (something would change, be refused
// or fail). A missing dest is a new file, not a diff.
func Write(w io.Writer, eng *engine.Engine, r *resource.Resource, snap *etcd.Snapshot, c engine.Candidate, earlier Earlier) bool {
	fmt.Fprintf(w, "== %s -> %s (etcd revision %d)\n", r.Name, r.Dest, c.Revision)
	changedKeys(w, eng, r, snap, earlier)
	interrupted := apply.Interrupted(r.Dest)
	if interrupted {
		fmt.Fprintf(w, "interrupted: the previous file is kept beside %s: an apply is under way, or one stopped before its reload was confirmed; the agent's next start or apply finishes it (check and reload) or rolls it back\n", r.Dest)
	}
	if c.Err != nil {
		fmt.Fprintf(w, "action: none: render failed: %v\n\n", c.Err)
		return true
	}
	f, err := atomicfile.Read(r.Dest) // never blocks on a FIFO dest
	cur := f.Data
	if err == nil && f.Exists && string(cur) == string(c.Data) {
		fmt.Fprintf(w, "action: none (up to date)\n\n")
		return interrupted
	}
	if err == nil && !f.Exists {
		fmt.Fprintf(w, "new file: %s does not exist (%d bytes rendered)\n", r.Dest, len(c.Data))
	}
	diff, _ := difflib.GetUnifiedDiffString(diffOf(r.Dest, cur, f.Exists || err != nil, c.Data))
	fmt.Fprint(w, diff)
	if c.Refused != nil {
		fmt.Fprintf(w, "action: none: %v\n\n", c.Refused)
		return true
	}
	fmt.Fprintf(w, "action: %s\n\n", eng.Action(r))
	return true
}

// diffOf is the unified diff from cur (at dest, when exists) to data; a
// missing dest is /dev/null, as in git, not an empty line.
func diffOf(dest string, cur []byte, exists bool, data []byte) difflib.UnifiedDiff {
	d := difflib.UnifiedDiff{B: difflib.SplitLines(string(data)), FromFile: dest, ToFile: dest + " (rendered)", Context: 3}
	if exists {
		d.A = difflib.SplitLines(string(cur))
	} else {
		d.FromFile = "/dev/null"
	}
	return d
}

// changedKeys lists keys changed since the last recorded apply: added (+)
// and changed (~) ones from snap, removed (-) ones from the directories as
// they were then (earlier), or only their count when etcd no longer has them.
func changedKeys(w io.Writer, eng *engine.Engine, r *resource.Resource, snap *etcd.Snapshot, earlier Earlier) {
	prev := eng.Applied(r)
	if prev == nil {
		fmt.Fprintf(w, "keys: no earlier apply recorded\n")
		return
	}
	var changed []string
	total, created := 0, 0
	now := map[string]bool{}
	for _, d := range r.Dirs {
		for _, e := range snap.Dirs[d] {
			total++
			now[e.Key] = true
			switch {
			case e.CreateRevision > prev.Revision:
				created++
				changed = append(changed, "+ "+e.Key)
			case e.ModRevision > prev.Revision:
				changed = append(changed, "~ "+e.Key)
			}
		}
	}
	before := 0
	for _, n := range prev.Counts {
		before += n
	}
	removed := max(before-(total-created), 0)
	if then, err := readEarlier(earlier, prev.Revision, r.Dirs); err == nil {
		removed = 0
		for _, d := range r.Dirs {
			for _, e := range then.Dirs[d] {
				if !now[e.Key] {
					removed++
					changed = append(changed, "- "+e.Key)
				}
			}
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i][2:] < changed[j][2:] })
	fmt.Fprintf(w, "keys since revision %d: %d added or changed, %d removed\n", prev.Revision, len(changed)-removedListed(changed), removed)
	for i, k := range changed {
		if i == maxKeys {
			fmt.Fprintf(w, "  ... and %d more\n", len(changed)-maxKeys)
			break
		}
		fmt.Fprintf(w, "  %s\n", k)
	}
}

// removedListed counts the "- key" lines of changed.
func removedListed(changed []string) int {
	n := 0
	for _, c := range changed {
		if c[0] == '-' {
			n++
		}
	}
	return n
}

func readEarlier(earlier Earlier, rev int64, dirs []string) (*etcd.Snapshot, error) {
	if earlier == nil {
		return nil, errNoEarlier
	}
	return earlier(rev, dirs)
}

var errNoEarlier = errors.New("no earlier read")
