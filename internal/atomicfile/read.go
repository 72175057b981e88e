package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Current is what a path holds now: nothing, or bytes with a mode and owner.
type Current struct {
	Exists bool
	Data   []byte
	Attrs  // UID and GID -1 when the file system does not say
}

// ErrNotRegular is wrapped by Read's error when path (after symlinks) is not
// a regular file: a FIFO, a device such as /dev/zero, a directory.
var ErrNotRegular = errors.New("not a regular file")

// Read returns what path holds; a missing file is not an error. It never
// blocks on open (a FIFO is opened non-blocking and refused) and reads only
// regular files, so a hostile destination can neither hang nor exhaust the
// reader.
func Read(path string) (Current, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Current{}, nil
	}
	if err != nil {
		return Current{}, opErr("read", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Current{}, opErr("stat", path, err)
	}
	if !fi.Mode().IsRegular() {
		return Current{}, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return Current{}, opErr("read", path, err)
	}
	m := fi.Mode()
	c := Current{Exists: true, Data: data, Attrs: Attrs{Mode: m.Perm() | m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky), UID: -1, GID: -1}}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		c.UID, c.GID = int(st.Uid), int(st.Gid)
	}
	return c, nil
}

// Same reports whether the file exists and already holds data with a's mode
// and owner, so writing it would change nothing.
func (c Current) Same(data []byte, a Attrs) bool {
	return c.Exists && bytes.Equal(c.Data, data) && c.Attrs == a
}

// opErr is "OP PATH: ERR", with the path said once: a *fs.PathError for
// path (os's "open PATH: ...") gives up its own op and path, keeping its
// cause (errors.Is with fs.ErrNotExist and the errno still hold).
func opErr(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// kind names a file type for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "type " + m.Type().String()
}

// ReadRegular returns the bytes of the regular file at path (after
// symlinks). Unlike os.ReadFile it never blocks on a FIFO and refuses
// devices and directories (ErrNotRegular), so a hostile configuration file
// can neither hang its reader nor exhaust it; a missing file is an error
// wrapping fs.ErrNotExist.
func ReadRegular(path string) ([]byte, error) {
	c, err := Read(path)
	if err != nil {
		return nil, err
	}
	if !c.Exists {
		return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.ENOENT}
	}
	return c.Data, nil
}
