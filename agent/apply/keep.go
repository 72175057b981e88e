package apply

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// keepKind says what dest holds while its previous file is kept beside it.
type keepKind int

const (
	// unchecked: dest may not hold a set of files every check of the group
	// passed (files are being swapped in, checked in place, or rolled
	// back). Recover puts back the previous file of every item of the group
	// at the next start.
	unchecked keepKind = iota
	// unreloaded: dest holds, with the group, a set every check passed,
	// whose reload has not been confirmed. Recover leaves it; the next apply
	// of the group reloads it (or rolls back to the kept file if its check
	// or reload now fails), so a restart never steps dest back.
	unreloaded
)

// keepNames are the names of the kept file and of the marker that dest did
// not exist, per kind, as suffixes of ".NAME": ".NAME.confwatch-prev" etc.
// (The unchecked names are those of earlier versions, which Recover always
// put back.)
var keepNames = map[keepKind][2]string{
	unchecked:  {stageInfix + "prev", stageInfix + "absent"},
	unreloaded: {stageInfix + "held", stageInfix + "held-absent"},
}

func hidden(dest, suffix string) string {
	return filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+suffix)
}

// keepName is where keep records old under kind k.
func keepName(dest string, k keepKind, exists bool) string {
	if exists {
		return hidden(dest, keepNames[k][0])
	}
	return hidden(dest, keepNames[k][1])
}

// isKeep reports whether name (a base name beside dest) is one of dest's
// kept files, of either kind.
func isKeep(dest, name string) bool {
	for _, names := range keepNames {
		for _, s := range names {
			if name == "."+filepath.Base(dest)+s {
				return true
			}
		}
	}
	return false
}

// keep durably records old, what dest holds before the swap, beside it under
// kind k: a copy of the file, or a marker that there was none.
func keep(dest string, old atomicfile.Current, k keepKind) error {
	data, attrs := old.Data, old.Attrs
	if !old.Exists {
		data, attrs = nil, atomicfile.Attrs{Mode: 0o600, UID: -1, GID: -1}
	}
	tmp, err := writeStage(dest, data, attrs)
	if err != nil {
		return fmt.Errorf("keep the previous file: %w", err)
	}
	if err := atomicfile.Rename(tmp, keepName(dest, k, old.Exists)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("keep the previous file: %w", err)
	}
	return nil
}

// relabel renames dest's kept file (a copy when exists, else the marker)
// from kind from to kind to: one atomic rename, so a crash leaves one of the
// two names; durable syncs the directory.
func relabel(dest string, from, to keepKind, exists, durable bool) error {
	if err := os.Rename(keepName(dest, from, exists), keepName(dest, to, exists)); err != nil {
		return fmt.Errorf("relabel the kept previous file: %w", err)
	}
	if durable {
		return atomicfile.SyncDir(filepath.Dir(dest))
	}
	return nil
}

// unkeepOne removes dest's kept file of kind k (a copy when exists, else
// the marker) and syncs the directory.
func unkeepOne(dest string, k keepKind, exists bool) error {
	return atomicfile.Remove(keepName(dest, k, exists))
}

// sameAs reports whether cur holds exactly what old does (both absent, or
// the same bytes, mode and owner).
func sameAs(cur, old atomicfile.Current) bool {
	if !old.Exists {
		return !cur.Exists
	}
	return cur.Same(old.Data, old.Attrs)
}

// kept is what findKept found beside dest.
type kept struct {
	found bool
	kind  keepKind
	old   atomicfile.Current // what dest held before the interrupted apply
}

// findKept reads the previous file an interrupted apply kept beside dest
// (after symlinks), if any; the unchecked kind wins if both are there.
func findKept(dest string) (kept, error) {
	for _, k := range []keepKind{unchecked, unreloaded} {
		if exists(keepName(dest, k, false)) {
			return kept{found: true, kind: k}, nil
		}
		name := keepName(dest, k, true)
		if !exists(name) {
			continue
		}
		old, err := atomicfile.Read(name)
		if err != nil {
			return kept{}, fmt.Errorf("the kept previous file: %w", err)
		}
		if !old.Exists { // removed meanwhile: only under a concurrent apply
			continue
		}
		return kept{found: true, kind: k, old: old}, nil
	}
	return kept{}, nil
}

// unkeep removes whatever keep wrote beside dest, of either kind.
func unkeep(dest string) error {
	removed := false
	var errs []error
	for _, names := range keepNames {
		for _, s := range names {
			err := os.Remove(hidden(dest, s))
			switch {
			case err == nil:
				removed = true
			case !errors.Is(err, fs.ErrNotExist):
				errs = append(errs, fmt.Errorf("remove the kept previous file: %w", err))
			}
		}
	}
	if removed {
		errs = append(errs, atomicfile.SyncDir(filepath.Dir(dest)))
	}
	return errors.Join(errs...)
}

// DropKept removes whatever is kept beside dest (after symlinks), once what
// it was kept for is done (engine: a group reloaded after its file was
// removed by a rollback).
func DropKept(dest string) error {
	path, err := atomicfile.Resolve(dest)
	if err != nil {
		return err
	}
	return unkeep(path)
}

// Interrupted reports whether a previous file is kept beside dest (after
// symlinks): an apply of it is under way, or one was interrupted and the
// agent's next start or apply of its group finishes it.
func Interrupted(dest string) bool {
	path, err := atomicfile.Resolve(dest)
	if err != nil {
		return false
	}
	k, err := findKept(path)
	return err != nil || k.found
}

// Recovery is what Recover did for one reload group.
type Recovery struct {
	// Restored: dests put back to the file they held before the interrupted
	// apply (or removed: there was none), because the group's files were
	// changing, or being checked in place or rolled back, when it stopped.
	// The service may have read anything in between: reload them.
	Restored []string
	// Pending: dests that hold, with the rest of the group, a set every
	// check passed, whose reload was not confirmed; their previous files
	// stay beside them for the next apply, which reloads (or rolls back).
	Pending []string
}

// Recover repairs what an apply of one reload group, interrupted by a kill,
// left beside the group's dests (after symlinks). When any dest was kept as
// unchecked, every dest with a kept file is put back, so the group never
// holds a set of files no check saw together; otherwise the kept files stay,
// and the dests are Pending. Stale staged files are removed; a kept file is
// removed only once what it is kept for is done. It must not run while an
// apply of the group is under way (at agent start, under the agent's lock,
// or from the group's own apply turn).
func Recover(dests []string) (Recovery, error) {
	var rec Recovery
	var errs []error
	paths := make([]string, 0, len(dests))
	ks := make([]kept, 0, len(dests))
	for _, d := range dests {
		path, err := atomicfile.Resolve(d)
		if err == nil {
			var k kept
			if k, err = findKept(path); err == nil {
				paths, ks = append(paths, path), append(ks, k)
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", d, err))
	}
	restore, err := promoteCommitted(paths, ks)
	if err != nil {
		errs = append(errs, err)
	}
	for i, path := range paths {
		if err := recoverOne(path, ks[i], restore, &rec); err != nil {
			errs = append(errs, err)
		}
		if _, err := Sweep(path); err != nil {
			errs = append(errs, err)
		}
	}
	return rec, errors.Join(errs...)
}

// promoteCommitted relabels unreloaded the unchecked kept files of a group
// whose commit marker matches it (a kill came between the marker and the end
// of the relabel: the set was checked; commit.go), then removes any marker
// beside the group. It reports whether any kept file is still unchecked:
// then the group is put back.
func promoteCommitted(paths []string, ks []kept) (restore bool, err error) {
	ok := committed(paths, ks)
	var errs []error
	for i, path := range paths {
		k := &ks[i]
		if ok && k.found && k.kind == unchecked {
			if err := relabel(path, unchecked, unreloaded, k.old.Exists, false); err != nil {
				errs = append(errs, err)
			} else {
				k.kind = unreloaded
			}
		}
		restore = restore || k.found && k.kind == unchecked
	}
	errs = append(errs, removeCommit(paths))
	return restore, errors.Join(errs...)
}

func recoverOne(path string, k kept, restoreAll bool, rec *Recovery) error {
	switch {
	case !k.found:
		return nil
	case !restoreAll:
		rec.Pending = append(rec.Pending, path)
		return nil
	}
	cur, err := atomicfile.Read(path)
	if err != nil {
		return err
	}
	if !sameAs(cur, k.old) {
		if err := putBack(path, k); err != nil {
			return fmt.Errorf("restore the previous file: %w", err)
		}
	}
	rec.Restored = append(rec.Restored, path)
	return unkeep(path)
}

// putBack puts the kept file back at path: by renaming it over path (no
// space needed), or by rewriting path in place when it is a mount point.
func putBack(path string, k kept) error {
	if !k.old.Exists {
		return atomicfile.Remove(path)
	}
	err := atomicfile.Rename(keepName(path, k.kind, true), path)
	if errors.Is(err, syscall.EBUSY) {
		return atomicfile.Overwrite(path, k.old.Data, k.old.Attrs)
	}
	return err
}

// Sweep removes the staged files (".NAME.confwatch-*") beside dest and
// returns how many; they are left only by a crash, so Sweep must not run
// while an apply of dest may be under way. Kept previous files are not
// staged files: only Recover, or the apply that kept them, removes them.
func Sweep(dest string) (int, error) {
	dir, prefix := filepath.Dir(dest), "."+filepath.Base(dest)+stageInfix
	es, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("sweep %s: %w", dir, err)
	}
	n := 0
	var errs []error
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() || isKeep(dest, e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("sweep: %w", err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
