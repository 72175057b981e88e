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

// Names of the files kept beside dest during an in-place check.
const (
	prevSuffix   = stageInfix + "prev"   // ".NAME.confwatch-prev": dest as it was
	absentSuffix = stageInfix + "absent" // ".NAME.confwatch-absent": dest did not exist
)

func hidden(dest, suffix string) string {
	return filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+suffix)
}

// keep durably records what dest holds now beside it: a copy of the file,
// or a marker that there was none.
func keep(dest string, old atomicfile.Current) error {
	name, data, attrs := hidden(dest, prevSuffix), old.Data, old.Attrs
	if !old.Exists {
		name, data, attrs = hidden(dest, absentSuffix), nil, atomicfile.Attrs{Mode: 0o600, UID: -1, GID: -1}
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

// unkeep removes what keep wrote.
func unkeep(dest string) error {
	return errors.Join(atomicfile.Remove(hidden(dest, prevSuffix)), atomicfile.Remove(hidden(dest, absentSuffix)))
}

// Recover repairs what an agent killed during an apply left beside dest
// (after symlinks): a file kept during an in-place check is put back, since
// the candidate at dest was never checked, and stale staged files are
// removed. It must run before anything else writes dest (at agent start,
// under the agent's lock) and reports whether dest was restored.
func Recover(dest string) (restored bool, err error) {
	path, err := atomicfile.Resolve(dest)
	if err != nil {
		return false, err
	}
	prev, absent := hidden(path, prevSuffix), hidden(path, absentSuffix)
	switch {
	case exists(prev):
		if err := atomicfile.Rename(prev, path); err != nil {
			return false, fmt.Errorf("restore the previous file: %w", err)
		}
		restored = true
	case exists(absent):
		if err := atomicfile.Remove(path); err != nil {
			return false, fmt.Errorf("remove the unchecked file: %w", err)
		}
		restored = true
	}
	if _, err := Sweep(path); err != nil {
		return restored, err
	}
	return restored, nil
}

// Sweep removes the staged files (".NAME.confwatch-*") beside dest and
// returns how many; they are left only by a crash, so Sweep must not run
// while an apply of dest may be under way.
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
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() {
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
