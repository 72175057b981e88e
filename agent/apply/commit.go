package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// A group with several changing files has them all swapped and checked
// before its kept files can say "checked" (unreloaded), and relabelling
// them takes one rename each: a kill between two would leave some saying
// unchecked, and the next start would put back a set every check passed,
// one state behind. So the relabel is preceded by a commit marker, one
// rename beside the first of them, listing every file to relabel with the
// digest of its kept file and of the dest it checked. Recover reads the
// kept files as unreloaded only when the marker matches the group exactly:
// every kept file is listed, and every listed kept file and dest still hold
// those bytes. A marker that outlived its apply (its removal failed, or the
// group changed between runs) therefore speaks for nothing else: another
// apply, a rollback half done or a dest rewritten in place and cut short
// does not match it.

const commitSuffix = stageInfix + "commit"

// commitName is the marker beside path.
func commitName(path string) string { return hidden(path, commitSuffix) }

// commitEntry is one line of a marker: a dest, the digest of the file kept
// beside it ("-": the marker that there was none) and of the dest.
type commitEntry struct{ kept, dest, path string }

func digest(c atomicfile.Current) string {
	if !c.Exists {
		return "-"
	}
	sum := sha256.Sum256(c.Data)
	return hex.EncodeToString(sum[:])
}

// writeCommit writes the marker for es beside es[0].path, one entry a line
// (the path last: it may hold spaces). Not synced: it has to outlive a kill,
// not a power loss (after which the start puts the group back, one state
// behind).
func writeCommit(es []commitEntry) error {
	var b strings.Builder
	for _, e := range es {
		if strings.Contains(e.path, "\n") {
			return fmt.Errorf("write the group's commit marker: a newline in %q", e.path)
		}
		fmt.Fprintf(&b, "%s %s %s\n", e.kept, e.dest, e.path)
	}
	name := commitName(es[0].path)
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write the group's commit marker: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write the group's commit marker: %w", err)
	}
	return nil
}

// readCommit parses the marker beside path (nil when there is none or it
// cannot be read).
func readCommit(path string) []commitEntry {
	b, err := os.ReadFile(commitName(path))
	if err != nil {
		return nil
	}
	var es []commitEntry
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			return nil
		}
		es = append(es, commitEntry{kept: f[0], dest: f[1], path: f[2]})
	}
	return es
}

// removeCommit removes the marker beside each of paths, if any.
func removeCommit(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := os.Remove(commitName(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove the group's commit marker: %w", err))
		}
	}
	return errors.Join(errs...)
}

// committed reports whether a marker beside one of the group's paths
// matches its kept files exactly (see above); ks[i] is what is kept beside
// paths[i].
func committed(paths []string, ks []kept) bool {
	for _, p := range paths {
		if es := readCommit(p); es != nil {
			return matches(es, paths, ks)
		}
	}
	return false
}

func matches(es []commitEntry, paths []string, ks []kept) bool {
	listed := map[string]commitEntry{}
	for _, e := range es {
		listed[e.path] = e
	}
	n := 0
	for i, p := range paths {
		e, ok := listed[p]
		if !ks[i].found {
			if ok {
				return false
			}
			continue
		}
		if !ok || e.kept != digest(ks[i].old) {
			return false
		}
		cur, err := atomicfile.Read(p)
		if err != nil || e.dest != digest(cur) {
			return false
		}
		n++
	}
	return n == len(listed)
}

// commit relabels the kept files unreloaded (dest holds the whole checked
// set), behind a commit marker when there are several.
func (a *Applier) commit(todo []*pending) {
	var changing []*pending
	for _, p := range todo {
		if p.kept && p.keptKind != unreloaded {
			changing = append(changing, p)
		}
	}
	var es []commitEntry
	if len(changing) > 1 { // one relabel is one rename: no marker, no read
		es = commitEntries(changing)
	}
	if len(es) > 1 {
		if err := writeCommit(es); err != nil {
			a.Log.Warn("cannot mark the group's files checked at once: a kill now would have the next start put them back", "err", err)
		} else {
			defer func() {
				if err := removeCommit([]string{es[0].path}); err != nil {
					a.Log.Warn("cannot remove the group's commit marker (harmless: it matches no other apply)", "err", err)
				}
			}()
		}
	}
	a.relabel(todo, unreloaded, false)
}

// commitEntries are the marker's lines for changing (nil when a dest cannot
// be read: no marker then, and a kill puts the group back, as without one).
func commitEntries(changing []*pending) []commitEntry {
	es := make([]commitEntry, 0, len(changing))
	for _, p := range changing {
		cur, err := atomicfile.Read(p.path)
		if err != nil {
			return nil
		}
		old := p.old
		old.Exists = p.keptExists
		es = append(es, commitEntry{kept: digest(old), dest: digest(cur), path: p.path})
	}
	return es
}
