package units

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// WriteFiles writes files under dir with mode 0644, creating directories
// as needed. Each file is written atomically: a temporary file in the
// destination directory is written, synced and closed, then renamed over
// the destination (force) or hard-linked to it (no force: the link fails
// rather than replace a file created meanwhile), and the directory is
// synced. Without force, if any destination exists nothing is written and
// the error wraps fs.ErrExist and names them.
func WriteFiles(dir string, files []File, force bool) error {
	if err := CheckWritable(dir, files, force); err != nil {
		return err
	}
	for _, f := range files {
		if err := writeAtomic(filepath.Join(dir, filepath.FromSlash(f.Name)), f.Data, force); err != nil {
			return err
		}
	}
	return nil
}

// CheckWritable returns WriteFiles' refusal, without writing and without
// leaving anything behind: an error for a name that is not a local relative
// path, for a destination that is a directory, for a destination directory
// that cannot be created (an ancestor is not a directory, or the nearest
// existing one is not writable) or is not writable, or (without force) for
// destinations that exist, wrapping fs.ErrExist.
func CheckWritable(dir string, files []File, force bool) error {
	var existing []string
	dirs := map[string]bool{}
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) {
			return fmt.Errorf("write %s: name is not a relative path inside the output directory", f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		fi, err := os.Lstat(p)
		if err == nil && fi.IsDir() {
			return fmt.Errorf("write %s: is a directory", p)
		}
		if err == nil {
			existing = append(existing, p)
		}
		dirs[filepath.Dir(p)] = true
	}
	if len(existing) > 0 && !force {
		return fmt.Errorf("refusing to overwrite %s (use --force): %w", strings.Join(existing, ", "), fs.ErrExist)
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if err := checkDir(d); err != nil {
			return err
		}
	}
	return nil
}

// checkDir returns an error unless files can be created in dir: dir, or
// its nearest existing ancestor (where writeAtomic's MkdirAll starts), is a
// directory in which a probe file can be created (and is removed at once).
func checkDir(dir string) error {
	at := dir
	for {
		fi, err := os.Stat(at)
		if err == nil && !fi.IsDir() {
			return fmt.Errorf("write into %s: %s is not a directory", dir, at)
		}
		if err == nil {
			break
		}
		if _, lerr := os.Lstat(at); lerr == nil || !errors.Is(err, fs.ErrNotExist) || filepath.Dir(at) == at {
			return fmt.Errorf("write into %s: %w", dir, err) // a dangling symlink, or no access
		}
		at = filepath.Dir(at)
	}
	probe, err := os.CreateTemp(at, ".confwatch-probe-")
	if err != nil {
		return fmt.Errorf("write into %s: %w", dir, err)
	}
	return closeRemove(probe, dir)
}

// closeRemove closes and removes the probe file f, created for dir.
func closeRemove(f *os.File, dir string) error {
	cerr := f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("write into %s: remove probe file: %w", dir, err)
	}
	if cerr != nil {
		return fmt.Errorf("write into %s: close probe file: %w", dir, cerr)
	}
	return nil
}

func writeAtomic(p string, data []byte, replace bool) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	tmp, err := atomicfile.Temp(p, ".tmp-", data, atomicfile.Attrs{Mode: 0o644, UID: -1, GID: -1})
	if err != nil {
		return err
	}
	if replace {
		err = atomicfile.Rename(tmp, p)
	} else {
		err = atomicfile.Link(tmp, p)
	}
	if err != nil {
		if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("write %s: remove temporary file: %w", p, rerr))
		}
		return err
	}
	return nil
}
