package apply

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// current is what a destination holds now.
type current struct {
	exists   bool
	data     []byte
	mode     fs.FileMode
	uid, gid int
}

func readCurrent(dest string) (current, error) {
	fi, err := os.Stat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return current{}, nil
	}
	if err != nil {
		return current{}, fmt.Errorf("stat %s: %w", dest, err)
	}
	data, err := os.ReadFile(dest)
	if err != nil {
		return current{}, fmt.Errorf("read %s: %w", dest, err)
	}
	c := current{exists: true, data: data, mode: fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky), uid: -1, gid: -1}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		c.uid, c.gid = int(st.Uid), int(st.Gid)
	}
	return c, nil
}

// same reports whether the destination already holds want.
func (c current) same(data []byte, mode fs.FileMode, uid, gid int) bool {
	return c.exists && bytes.Equal(c.data, data) && c.mode == mode && c.uid == uid && c.gid == gid
}

// stageName returns a hidden, unique file name next to dest.
func stageName(dest string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".confwatch-"+hex.EncodeToString(b[:]))
}

// writeStage writes data to a new hidden file beside dest, synced, with mode
// and owner set, and returns its path. On error nothing is left behind.
func writeStage(dest string, data []byte, mode fs.FileMode, uid, gid int) (path string, err error) {
	path = stageName(dest)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("stage %s: %w", dest, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("stage %s: %w", dest, err)
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("stage %s: sync: %w", dest, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("stage %s: close: %w", dest, err)
	}
	if err = setAttrs(path, mode, uid, gid); err != nil {
		return "", fmt.Errorf("stage %s: %w", dest, err)
	}
	return path, nil
}

func setAttrs(path string, mode fs.FileMode, uid, gid int) error {
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("chown %d:%d: %w", uid, gid, err)
	}
	// chmod after chown: chown clears setuid/setgid bits.
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %o: %w", mode, err)
	}
	return nil
}

// swap moves the staged file over dest atomically and syncs the directory.
// When dest is a mount point (rename gives EBUSY, as for a bind-mounted
// single file) it rewrites dest in place instead and reports inPlace.
func swap(staged, dest string, data []byte, mode fs.FileMode, uid, gid int) (inPlace bool, err error) {
	err = os.Rename(staged, dest)
	if errors.Is(err, syscall.EBUSY) {
		_ = os.Remove(staged)
		return true, writeInPlace(dest, data, mode, uid, gid)
	}
	if err != nil {
		return false, fmt.Errorf("rename into %s: %w", dest, err)
	}
	return false, syncDir(filepath.Dir(dest))
}

func writeInPlace(dest string, data []byte, mode fs.FileMode, uid, gid int) error {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("write %s in place: %w", dest, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s in place: %w", dest, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s in place: sync: %w", dest, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s in place: close: %w", dest, err)
	}
	return setAttrs(dest, mode, uid, gid)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return d.Close()
}

// restore puts a backup back: the old bytes, mode and owner, or no file when
// there was none.
func restore(dest string, old current) error {
	if !old.exists {
		if err := os.Remove(dest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", dest, err)
		}
		return syncDir(filepath.Dir(dest))
	}
	staged, err := writeStage(dest, old.data, old.mode, old.uid, old.gid)
	if err != nil {
		return err
	}
	_, err = swap(staged, dest, old.data, old.mode, old.uid, old.gid)
	return err
}
