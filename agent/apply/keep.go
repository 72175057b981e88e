package apply

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// keepKind says what dest holds while its previous file is kept beside it.
type keepKind int

const (
	// unchecked: dest may hold a candidate no check has passed (an in-place
	// check of its group was pending). Recover puts back the previous file
	// of every item of the group at the next start.
	unchecked keepKind = iota
	// unreloaded: dest holds a checked candidate whose reload has not been
	// confirmed. Recover leaves it; the next apply of the group keeps the
	// previous file as its rollback target and reloads, so a restart never
	// steps dest back.
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
// kept files of kind k.
func isKeep(dest, name string, k keepKind) bool {
	for _, s := range keepNames[k] {
		if name == "."+filepath.Base(dest)+s {
			return true
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

// relabel renames dest's kept file from kind from to kind to (one atomic
// rename: a crash leaves one of the two names).
func relabel(dest string, from, to keepKind) error {
	for i := range 2 {
		src := hidden(dest, keepNames[from][i])
		if !exists(src) {
			continue
		}
		if err := atomicfile.Rename(src, hidden(dest, keepNames[to][i])); err != nil {
			return fmt.Errorf("relabel the kept previous file: %w", err)
		}
	}
	return nil
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

// Interrupted reports whether an apply of dest (after symlinks) was
// interrupted after it kept the previous file: the next apply of its group
// must include dest (as it stands, if its candidate cannot be applied), to
// finish that apply with a reload or roll it back.
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
	// apply (or removed: there was none), because an in-place check of the
	// group had not passed.
	Restored []string
	// Pending: dests that hold a checked candidate whose reload was not
	// confirmed; their previous files stay beside them, and the next apply
	// of the group reloads them or rolls them back.
	Pending []string
}

// Recover repairs what an agent killed during an apply of one reload group
// left beside the group's dests (after symlinks). When any dest was kept as
// unchecked, every dest with a kept file is put back, so the group never
// holds a set of files no check saw together; otherwise the kept files stay
// for the next apply, which finishes the interrupted one (see Interrupted).
// Stale staged files are removed. It must run before anything else writes
// the dests (at agent start, under the agent's lock).
func Recover(dests []string) (Recovery, error) {
	var rec Recovery
	var errs []error
	paths := make([]string, 0, len(dests))
	ks := make([]kept, 0, len(dests))
	restore := false
	for _, d := range dests {
		path, err := atomicfile.Resolve(d)
		if err == nil {
			var k kept
			if k, err = findKept(path); err == nil {
				paths, ks = append(paths, path), append(ks, k)
				restore = restore || k.found && k.kind == unchecked
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", d, err))
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

func recoverOne(path string, k kept, restoreAll bool, rec *Recovery) error {
	if !k.found {
		return nil
	}
	cur, err := atomicfile.Read(path)
	if err != nil {
		return err
	}
	switch {
	case cur.Exists == k.old.Exists && (!cur.Exists || cur.Same(k.old.Data, k.old.Attrs)):
		// Not swapped yet: nothing to finish or undo for this dest.
	case restoreAll:
		if err := restore(path, k.old); err != nil {
			return fmt.Errorf("restore the previous file: %w", err)
		}
		rec.Restored = append(rec.Restored, path)
	default:
		rec.Pending = append(rec.Pending, path)
		return nil
	}
	return unkeep(path)
}

// Sweep removes the staged files (".NAME.confwatch-*") beside dest and
// returns how many; they are left only by a crash, so Sweep must not run
// while an apply of dest may be under way. A previous file kept for an
// unconfirmed reload (the unreloaded kind) is not swept: the next apply
// needs it.
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
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() || isKeep(dest, e.Name(), unreloaded) {
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
