// Package dirlock keeps two agents off the same directories: Acquire takes an
// exclusive, non-blocking flock(2) on each directory itself (no lock file is
// created, so a read-only confdir can be locked too), held until Release or
// the process ends, however it ends. The error for a directory another
// process holds names that process: its PID and, when /proc tells, its
// systemd unit and command line.
package dirlock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrBusy is wrapped by the error for a directory another process holds.
var ErrBusy = errors.New("in use by another confwatch agent")

// Dir is one directory to lock, with what it is for messages ("confdir").
type Dir struct {
	Path string
	What string
	// Optional: a directory that cannot be opened (not one, unreadable) is
	// skipped like a missing one, for a state_dir the agent runs without
	// (memory only) when it is unusable. A lock held elsewhere still refuses.
	Optional bool
}

// BusyError says which directory is held and by whom.
type BusyError struct {
	Dir    Dir
	Holder Holder // zero PID when /proc/locks does not say
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s %s is %v: %s", e.Dir.What, e.Dir.Path, ErrBusy, e.Holder)
}

// Unwrap makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Unwrap() error { return ErrBusy }

// Lock is a set of held directory locks.
type Lock struct{ files []*os.File }

// Acquire locks every dir, or none: when one is held elsewhere the error is a
// *BusyError and the locks already taken are released. An empty Path or a
// directory that does not exist is skipped (there is nothing in it to
// protect). Two paths of the same directory are locked once.
func Acquire(dirs ...Dir) (*Lock, error) {
	l := &Lock{}
	seen := map[[2]uint64]bool{}
	for _, d := range dirs {
		if d.Path == "" {
			continue
		}
		f, err := os.Open(d.Path)
		if errors.Is(err, fs.ErrNotExist) || (err != nil && d.Optional) {
			continue
		}
		if err != nil {
			l.Release()
			return nil, fmt.Errorf("lock %s %s: %w", d.What, d.Path, err)
		}
		id, err := fileID(f)
		if err != nil || seen[id] {
			_ = f.Close()
			if err != nil {
				l.Release()
				return nil, fmt.Errorf("lock %s %s: %w", d.What, d.Path, err)
			}
			continue
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			_ = f.Close()
			l.Release()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &BusyError{Dir: d, Holder: holderOf(id)}
			}
			return nil, fmt.Errorf("lock %s %s: %w", d.What, d.Path, err)
		}
		seen[id] = true
		l.files = append(l.files, f)
	}
	return l, nil
}

// Release drops the locks; a nil Lock is fine.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	for _, f := range l.files {
		_ = f.Close() // closing the only descriptor drops the flock
	}
	l.files = nil
}

// fileID is a file's device and inode.
func fileID(f *os.File) ([2]uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return [2]uint64{}, err
	}
	return [2]uint64{uint64(st.Dev), st.Ino}, nil
}
