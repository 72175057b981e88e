// Package atomicfile holds confwatch's one durable, atomic file write, shared
// by apply (rendered destinations), units (generate-units) and state (the
// applied-state files): a temporary file in the destination's directory is
// written, fsynced and closed, given its mode and owner, renamed over the
// destination, and the directory is fsynced, so that after a crash the
// destination holds either the old bytes or the new, never a mix. Read and
// Current.Same let a caller skip a write that would change nothing.
//
// Every error names the path it is about.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Attrs are the mode and owner a written file gets. UID or GID -1 leaves
// that id as created (the process's own, and no chown is made when both are).
type Attrs struct {
	Mode     fs.FileMode // permission bits, with setuid, setgid and sticky
	UID, GID int
}

// Write replaces path with data atomically and durably, creating it when it
// does not exist. path's directory must exist. On error path is unchanged and
// no temporary file is left behind.
func Write(path string, data []byte, a Attrs) error {
	tmp, err := Temp(path, ".tmp-", data, a)
	if err != nil {
		return err
	}
	if err := Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// Temp writes data to a new hidden file beside path, named "." + the base of
// path + infix + a random suffix, synced and closed, with a's mode and owner,
// and returns its name. On error nothing is left behind (a full disk
// included: the partial file is removed).
func Temp(path, infix string, data []byte, a Attrs) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+infix+"*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = writeSynced(f, data)
	if err == nil {
		err = SetAttrs(tmp, a)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return tmp, nil
}

// Rename moves tmp over path and fsyncs path's directory, so that the rename
// survives a crash. A failed rename (os.Rename's error, wrapped: a caller may
// test it with errors.Is) leaves tmp in place.
func Rename(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Link gives tmp the name path without replacing a file that exists there
// (the error then wraps fs.ErrExist), removes the name tmp, and fsyncs the
// directory. tmp must be beside path.
func Link(tmp, path string) error {
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("write %s: remove temporary file: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Overwrite rewrites path in place (truncate, write, fsync, close) and sets
// a's mode and owner: not atomic, for a destination that cannot be renamed
// over (a bind-mounted single file, where rename gives EBUSY).
func Overwrite(path string, data []byte, a Attrs) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("write %s in place: %w", path, err)
	}
	if err := writeSynced(f, data); err != nil {
		return fmt.Errorf("write %s in place: %w", path, err)
	}
	if err := SetAttrs(path, a); err != nil {
		return fmt.Errorf("write %s in place: %w", path, err)
	}
	return nil
}

// Remove deletes path, if it exists, and fsyncs its directory.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return opErr("remove", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs directory dir, making the creation, rename or removal of
// names in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// SetAttrs sets path's owner (unless both ids are -1), then its mode: chown
// clears setuid and setgid, so chmod comes last.
func SetAttrs(path string, a Attrs) error {
	if a.UID != -1 || a.GID != -1 {
		if err := os.Chown(path, a.UID, a.GID); err != nil {
			return fmt.Errorf("chown %d:%d: %w", a.UID, a.GID, err)
		}
	}
	if err := os.Chmod(path, a.Mode); err != nil {
		return fmt.Errorf("chmod %o: %w", a.Mode, err)
	}
	return nil
}

// writeSynced writes data to f, fsyncs and closes it; f is closed on every
// path.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("sync: %w", err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return err
}
