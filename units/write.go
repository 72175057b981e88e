package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// CheckWritable returns WriteFiles' refusal, without writing: an error for
// a name that is not a local relative path, or (without force) for
// destinations that exist, wrapping fs.ErrExist.
func CheckWritable(dir string, files []File, force bool) error {
	var existing []string
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) {
			return fmt.Errorf("write %s: name is not a relative path inside the output directory", f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if _, err := os.Lstat(p); err == nil {
			existing = append(existing, p)
		}
	}
	if len(existing) > 0 && !force {
		return fmt.Errorf("refusing to overwrite %s (use --force): %w", strings.Join(existing, ", "), fs.ErrExist)
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
