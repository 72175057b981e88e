package apply

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// A group with several changing files has them all swapped and checked
// before its kept files can say "checked" (unreloaded), and relabelling
// them takes one rename each: a kill between two would leave some saying
// unchecked, and the next start would put back a set every check passed,
// one state behind. So the relabel is preceded by a commit marker, one
// rename beside the first of them, listing every file to relabel; Recover
// reads a file listed there as kept unreloaded, whatever its name says.
// The marker is removed once the relabel is done, and before any later
// apply of those files keeps them as unchecked again, so it never speaks
// for an apply it was not written by.

const commitSuffix = stageInfix + "commit"

// commitName is the marker beside path.
func commitName(path string) string { return hidden(path, commitSuffix) }

// writeCommit writes the marker for paths beside paths[0]: its content is
// one path per line. Not synced: it has to outlive a kill, not a power loss
// (after which the start puts the group back, one state behind).
func writeCommit(paths []string) error {
	name := commitName(paths[0])
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(paths, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write the group's commit marker: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write the group's commit marker: %w", err)
	}
	return nil
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

// committed returns the paths a marker beside one of paths lists, when
// every one of them is in paths (a marker naming a file outside the group,
// of an earlier configuration, says nothing about this one).
func committed(paths []string) []string {
	for _, p := range paths {
		b, err := os.ReadFile(commitName(p))
		if err != nil {
			continue
		}
		listed := strings.Fields(string(b))
		ok := len(listed) > 0
		for _, l := range listed {
			ok = ok && slices.Contains(paths, l)
		}
		if ok {
			return listed
		}
	}
	return nil
}

// commit relabels the kept files unreloaded (dest holds the whole checked
// set), behind a commit marker when there are several.
func (a *Applier) commit(todo []*pending) {
	var paths []string
	for _, p := range todo {
		if p.kept && p.keptKind != unreloaded {
			paths = append(paths, p.path)
		}
	}
	if len(paths) > 1 {
		if err := writeCommit(paths); err != nil {
			a.Log.Warn("cannot mark the group's files checked at once: a kill now would have the next start put them back", "err", err)
		} else {
			defer func() {
				if err := removeCommit(paths[:1]); err != nil {
					a.Log.Warn("cannot remove the group's commit marker", "err", err)
				}
			}()
		}
	}
	a.relabel(todo, unreloaded, false)
}
