package units

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

func writeAtomic(p string, data []byte, replace bool) (err error) {
	d := filepath.Dir(p)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	tmp, err := os.CreateTemp(d, "."+filepath.Base(p)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer func() {
		if rerr := os.Remove(tmp.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("write %s: remove temporary file: %w", p, rerr)
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil && replace {
		err = os.Rename(tmp.Name(), p)
	} else if err == nil {
		err = os.Link(tmp.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return syncDir(d)
}

func syncDir(d string) error {
	f, err := os.Open(d)
	if err != nil {
		return fmt.Errorf("sync %s: %w", d, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", d, err)
	}
	return nil
}
