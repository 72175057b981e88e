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

// stageInfix marks staged candidates: ".NAME.confwatch-*" beside NAME.
const stageInfix = ".confwatch-"

// writeStage writes data to a new hidden file beside dest, synced, with mode
// and owner set, and returns its path. On error nothing is left behind.
func writeStage(dest string, data []byte, a atomicfile.Attrs) (string, error) {
	path, err := atomicfile.Temp(dest, stageInfix, data, a)
	if err != nil {
		return "", fmt.Errorf("stage: %w", err) // err names dest
	}
	return path, nil
}

// swap moves the staged file over dest atomically and syncs the directory.
// When dest is a mount point (rename gives EBUSY, as for a bind-mounted
// single file) it rewrites dest in place instead and reports inPlace.
func swap(staged, dest string, data []byte, a atomicfile.Attrs) (inPlace bool, err error) {
	err = atomicfile.Rename(staged, dest)
	if errors.Is(err, syscall.EBUSY) {
		_ = os.Remove(staged)
		return true, atomicfile.Overwrite(dest, data, a)
	}
	return false, err
}

// restore puts a backup back: the old bytes, mode and owner, or no file when
// there was none.
func restore(dest string, old atomicfile.Current) error {
	if !old.Exists {
		return atomicfile.Remove(dest)
	}
	staged, err := writeStage(dest, old.Data, old.Attrs)
	if err != nil {
		return err
	}
	if _, err = swap(staged, dest, old.Data, old.Attrs); err != nil {
		_ = os.Remove(staged) // a failed rename leaves it
	}
	return err
}

// Names of the files kept beside dest while an apply is under way. The
// first pair says the candidate at dest is not yet checked (an in-place check
// runs): Recover puts the previous file back. The second says the candidate
// passed its check and only its reload is pending: Recover leaves the
// candidate, and the next apply redoes the reload with the kept file as its
// rollback target (see Resumed).
const (
	prevSuffix   = stageInfix + "prev"   // ".NAME.confwatch-prev": dest as it was
	absentSuffix = stageInfix + "absent" // ".NAME.confwatch-absent": dest did not exist

	reloadPrevSuffix   = stageInfix + "reload-prev"   // dest as it was; the candidate is checked
	reloadAbsentSuffix = stageInfix + "reload-absent" // dest did not exist; the candidate is checked
)

func hidden(dest, suffix string) string {
	return filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+suffix)
}

// keep durably records what dest holds now beside it: a copy of the file,
// or a marker that there was none; checked says the candidate about to be
// swapped in has passed its check (its reload alone is pending).
func keep(dest string, old atomicfile.Current, checked bool) error {
	prev, absent := prevSuffix, absentSuffix
	if checked {
		prev, absent = reloadPrevSuffix, reloadAbsentSuffix
	}
	name, data, attrs := hidden(dest, prev), old.Data, old.Attrs
	if !old.Exists {
		name, data, attrs = hidden(dest, absent), nil, atomicfile.Attrs{Mode: 0o600, UID: -1, GID: -1}
	}
	tmp, err := writeStage(dest, data, attrs)
	if err != nil {
		return fmt.Errorf("keep the previous file: %w", err)
	}
	if err := atomicfile.Rename(tmp, name); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("keep the previous file: %w", err)
	}
	return nil
}

// checked turns the kept file of an in-place check into the kept file of a
// pending reload, once the check has passed: from here a kill leaves the
// candidate at dest and the reload is redone.
func checked(dest string) error {
	for from, to := range map[string]string{prevSuffix: reloadPrevSuffix, absentSuffix: reloadAbsentSuffix} {
		if !exists(hidden(dest, from)) {
			continue
		}
		if err := atomicfile.Rename(hidden(dest, from), hidden(dest, to)); err != nil {
			return fmt.Errorf("keep the previous file: %w", err)
		}
	}
	return nil
}

// unkeep removes what keep wrote.
func unkeep(dest string) error {
	var errs []error
	for _, s := range []string{prevSuffix, absentSuffix, reloadPrevSuffix, reloadAbsentSuffix} {
		errs = append(errs, atomicfile.Remove(hidden(dest, s)))
	}
	return errors.Join(errs...)
}

// Resumed reads the file kept beside path (after symlinks) for a reload
// that an agent killed before it ended left pending: what dest held before
// that apply, the last file reloaded. ok is false when there is none.
func Resumed(path string) (old atomicfile.Current, ok bool, err error) {
	if exists(hidden(path, reloadAbsentSuffix)) {
		return atomicfile.Current{}, true, nil
	}
	if !exists(hidden(path, reloadPrevSuffix)) {
		return atomicfile.Current{}, false, nil
	}
	old, err = atomicfile.Read(hidden(path, reloadPrevSuffix))
	return old, err == nil, err
}

// Recovery is what Recover found beside a dest.
type Recovery int

// What Recover can find.
const (
	// Clean: no apply was cut short.
	Clean Recovery = iota
	// Restored: the candidate at dest was never checked (the agent died
	// during its in-place check); the previous file is back.
	Restored
	// ReloadPending: the candidate at dest had passed its check and its
	// reload had not ended; dest keeps it, and the next apply redoes the
	// reload, rolling back to the kept file only if that reload fails.
	ReloadPending
)

// Recover repairs what an agent killed during an apply left beside dest
// (after symlinks): a file kept during an in-place check is put back, since
// the candidate at dest was never checked; a file kept for a pending reload
// stays (see Resumed); stale staged files are removed. It must run before
// anything else writes dest (at agent start, under the agent's lock).
func Recover(dest string) (Recovery, error) {
	path, err := atomicfile.Resolve(dest)
	if err != nil {
		return Clean, err
	}
	found := Clean
	prev, absent := hidden(path, prevSuffix), hidden(path, absentSuffix)
	switch {
	case exists(prev):
		if err := atomicfile.Rename(prev, path); err != nil {
			return Clean, fmt.Errorf("restore the previous file: %w", err)
		}
		found = Restored
	case exists(absent):
		if err := atomicfile.Remove(path); err != nil {
			return Clean, fmt.Errorf("remove the unchecked file: %w", err)
		}
		found = Restored
	}
	if found == Restored { // a resumed reload's file was the same previous file
		if err := errors.Join(atomicfile.Remove(hidden(path, reloadPrevSuffix)), atomicfile.Remove(hidden(path, reloadAbsentSuffix))); err != nil {
			return found, err
		}
	} else if _, ok, err := Resumed(path); err != nil || ok {
		found = ReloadPending
		if err != nil {
			return found, err
		}
	}
	if _, err := Sweep(path); err != nil {
		return found, err
	}
	return found, nil
}

// Sweep removes the staged files (".NAME.confwatch-*") beside dest, but
// not the kept file of a pending reload, and returns how many; they are left
// only by a crash, so Sweep must not run while an apply of dest may be under
// way.
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
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() || pendingReload(dest, e.Name()) {
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

// pendingReload reports whether name, beside dest, is the kept file of a
// pending reload.
func pendingReload(dest, name string) bool {
	p := filepath.Join(filepath.Dir(dest), name)
	return p == hidden(dest, reloadPrevSuffix) || p == hidden(dest, reloadAbsentSuffix)
}
