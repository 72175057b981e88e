package watch

import (
	"sort"
	"sync"
	"time"
)

// stallSet holds the directories whose watch stalled and has not answered
// since, with when the stall began. A nil set records nothing.
type stallSet struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func newStallSet() *stallSet { return &stallSet{m: map[string]time.Time{}} }

func (s *stallSet) set(dir string, since time.Time) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[dir]; !ok {
		s.m[dir] = since
	}
}

func (s *stallSet) clear(dir string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, dir)
}

// oldest returns the directories stalled, sorted, and the earliest start.
func (s *stallSet) oldest() ([]string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var dirs []string
	var first time.Time
	for d, at := range s.m {
		dirs = append(dirs, d)
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	sort.Strings(dirs)
	return dirs, first
}
