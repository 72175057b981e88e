// Package state keeps, per template resource, what the last applied render
// was made from (revision, key counts per directory), so guards compare with
// it across restarts and plan can say what changed since. One small JSON file
// per resource and destination (Key), written atomically and durably
// (internal/atomicfile); an unwritable directory degrades to memory only.
package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Applied is what one resource was last applied from.
type Applied struct {
	Revision int64     `json:"revision"`
	Dirs     []string  `json:"dirs"`
	Counts   []int     `json:"counts"`
	At       time.Time `json:"at"`
	// Unsettled: an apply of this resource started and did not finish
	// cleanly (the agent died, or a rollback failed); the next apply redoes
	// it even when dest already holds the render.
	Unsettled bool `json:"unsettled,omitempty"`
}

// CountsFor returns the counts for dirs when they were recorded for the same
// directories, else nil.
func (a *Applied) CountsFor(dirs []string) []int {
	if a == nil || len(a.Dirs) != len(dirs) {
		return nil
	}
	for i := range dirs {
		if a.Dirs[i] != dirs[i] {
			return nil
		}
	}
	return a.Counts
}

// Key names the state of resource name writing dest: state is kept per
// destination, so that two confdirs sharing a state dir, each with a
// resource of the same name, do not compare with each other's baseline.
// The file is NAME@HASH.json, HASH a digest of the cleaned dest; a state
// file of the old naming (NAME.json) is read when the new one is missing.
func Key(name, dest string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dest)))
	return name + "@" + hex.EncodeToString(sum[:8])
}

// legacy is the file name key had before state was keyed by dest, or "".
func legacy(key string) string {
	if i := strings.LastIndex(key, "@"); i > 0 {
		return key[:i]
	}
	return ""
}

// Store reads and writes state files under Dir ("" keeps state in memory).
// A file changed by another process (`confwatch render --force` next to a
// running agent) is read again at the next Get.
type Store struct {
	Dir      string
	ReadOnly bool         // read Dir, keep writes in memory (plan, noop)
	Log      *slog.Logger // where an unreadable state file is reported (nil: nowhere)
	mu       sync.Mutex
	mem      map[string]*Applied
	seen     map[string]stamp // the file each mem entry matches
	bad      map[string]stamp // the unreadable version of a file, reported once
}

// stamp identifies one version of a state file.
type stamp struct {
	mod  time.Time
	size int64
}

// Get returns the last applied state recorded under name (a Key), or nil.
func (s *Store) Get(name string) *Applied {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mem[name]
	if s.Dir == "" {
		return a
	}
	st, ok := s.stamp(name)
	if !ok {
		if a == nil && legacy(name) != "" {
			return s.readLegacy(name)
		}
		return a
	}
	if a != nil && st == s.seen[name] {
		return a
	}
	fa, err := s.read(s.path(name))
	if err != nil {
		s.unreadable(name, st, err)
		return a
	}
	s.remember(name, fa, st)
	return fa
}

// unreadable reports, once per version of the file, a state file that
// exists but cannot be read or decoded: the guards then have no baseline
// (or an older one from memory) for that resource until its next apply.
func (s *Store) unreadable(name string, st stamp, err error) {
	if s.bad == nil {
		s.bad = map[string]stamp{}
	}
	if old, ok := s.bad[name]; ok && old == st {
		return
	}
	s.bad[name] = st
	if s.Log != nil {
		s.Log.Warn("state file unreadable: the guards have no record of the last apply until the next one", "file", s.path(name), "err", err)
	}
}

// readLegacy reads the pre-Key file of name into memory, if there is one;
// it is left in place (another agent's resource of that name may need it)
// and the next Put writes the keyed file.
func (s *Store) readLegacy(name string) *Applied {
	fa, err := s.read(filepath.Join(s.Dir, legacy(name)+".json"))
	if err != nil {
		return nil
	}
	s.remember(name, fa, stamp{})
	return fa
}

func (s *Store) read(path string) (*Applied, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fa Applied
	if err := json.Unmarshal(b, &fa); err != nil {
		return nil, err
	}
	return &fa, nil
}

// Put records a as the last applied state of name, durably (file and
// directory fsynced) when Dir is set; the error says only that it could not
// be made durable (memory is updated all the same).
func (s *Store) Put(name string, a Applied) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Dir == "" || s.ReadOnly {
		st, _ := s.stamp(name) // the file stays as it is: keep preferring memory
		s.remember(name, &a, st)
		return nil
	}
	old, _ := s.stamp(name) // kept if the write fails: memory stays newer than the file
	s.remember(name, &a, old)
	b, _ := json.Marshal(a)
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if err := atomicfile.Write(s.path(name), b, atomicfile.Attrs{Mode: 0o644, UID: -1, GID: -1}); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	st, _ := s.stamp(name)
	s.remember(name, &a, st)
	return nil
}

func (s *Store) remember(name string, a *Applied, st stamp) {
	if s.mem == nil {
		s.mem, s.seen = map[string]*Applied{}, map[string]stamp{}
	}
	s.mem[name], s.seen[name] = a, st
}

// stamp returns the current file's stamp; false when there is none.
func (s *Store) stamp(name string) (stamp, bool) {
	if s.Dir == "" {
		return stamp{}, false
	}
	fi, err := os.Stat(s.path(name))
	if err != nil {
		return stamp{}, false
	}
	return stamp{fi.ModTime(), fi.Size()}, true
}

func (s *Store) path(name string) string { return filepath.Join(s.Dir, name+".json") }

// SetUnsettled records (or clears) that an apply of name is under way or did
// not finish, keeping the rest of its state.
func (s *Store) SetUnsettled(name string, on bool) error {
	var a Applied
	cur := s.Get(name)
	if cur != nil {
		if cur.Unsettled == on {
			return nil
		}
		a = *cur
	}
	a.Unsettled = on
	return s.Put(name, a)
}

// Writable reports whether Dir can be created and written.
func (s *Store) Writable() error {
	if s.Dir == "" {
		return nil
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.CreateTemp(s.Dir, ".probe")
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
