// Package filewatch reports, with inotify, the moment a file is replaced or
// rewritten, so a harness can time how soon a change reached it.
package filewatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watcher watches one file by watching its directory for IN_MOVED_TO (an
// atomic rename over it) and IN_CLOSE_WRITE (a write in place) naming it.
type Watcher struct {
	path   string
	f      *os.File
	events chan time.Time
	done   chan struct{}
}

// New starts watching path; its directory must exist.
func New(path string) (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", filepath.Dir(path), err)
	}
	// A non-blocking fd makes os.File use the runtime poller, so Close
	// wakes the reading goroutine.
	w := &Watcher{path: path, f: os.NewFile(uintptr(fd), "inotify"),
		events: make(chan time.Time, 4096), done: make(chan struct{})}
	go w.read()
	return w, nil
}

// Close stops watching.
func (w *Watcher) Close() error {
	err := w.f.Close()
	<-w.done
	return err
}

// read timestamps every event naming the file, as soon as it is read.
func (w *Watcher) read() {
	defer close(w.done)
	name := filepath.Base(w.path)
	buf := make([]byte, 64*1024)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nb := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if string(bytes.TrimRight(nb, "\x00")) == name {
				select {
				case w.events <- now:
				default: // nobody is waiting: drop
				}
			}
		}
	}
}

// Drain forgets events already seen: call it before causing the next change.
func (w *Watcher) Drain() {
	for {
		select {
		case <-w.events:
		default:
			return
		}
	}
}

// ErrTimeout is returned by Wait when the file did not match in time.
var ErrTimeout = errors.New("filewatch: timed out")

// Wait returns the time of the event after which the file's content
// satisfies ok. Events already queued are taken together and the content
// is credited to the newest of them, so a stale event never gets the credit
// for a later rename. When check is true the file is also tested once at the
// start (its time is then the current time).
func (w *Watcher) Wait(ctx context.Context, timeout time.Duration, check bool, ok func([]byte) bool) (time.Time, error) {
	if check {
		if b, err := os.ReadFile(w.path); err == nil && ok(b) {
			return time.Now(), nil
		}
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case at := <-w.events:
			at = w.newest(at)
			if b, err := os.ReadFile(w.path); err == nil && ok(b) {
				return at, nil
			}
		case <-t.C:
			return time.Time{}, fmt.Errorf("%w after %s waiting for %s", ErrTimeout, timeout, w.path)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// newest returns the time of the last queued event, or at if none is.
func (w *Watcher) newest(at time.Time) time.Time {
	for {
		select {
		case at = <-w.events:
		default:
			return at
		}
	}
}
