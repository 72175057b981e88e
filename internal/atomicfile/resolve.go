package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds the symlinks Resolve follows, as the kernel's ELOOP does.
const maxLinks = 40

// Resolve follows symlinks in path's final component and returns the file a
// write should replace, so that writing through a link (Debian's
// sites-enabled/x -> ../sites-available/x) replaces the target in its own
// directory and keeps the link. A link to a missing file resolves to that
// file; a path that is not a link is returned as it is.
func Resolve(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink == 0) {
			return path, nil
		}
		if err != nil {
			return "", opErr("resolve", path, err)
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", opErr("resolve", path, err)
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", fmt.Errorf("resolve %s: too many levels of symbolic links", path)
}
