package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
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

// Read returns what path holds; a missing file is not an error.
func Read(path string) (Current, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Current{}, nil
	}
	if err != nil {
		return Current{}, fmt.Errorf("stat %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Current{}, fmt.Errorf("read %s: %w", path, err)
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
