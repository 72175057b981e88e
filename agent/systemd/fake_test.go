package systemd

import (
	"context"
	"sync"
)

// fakeBus is a scripted systemd: LoadState load, ActiveState answers taken from states in
// order (the last one repeats), and every job answered with result ("" never answers).
type fakeBus struct {
	mu      sync.Mutex
	load    string
	states  []string
	result  string
	propErr error    // returned by every property call when set
	enqErr  error    // returned by enqueue when set
	dead    bool     // connected() reports false
	kinds   []string // kinds enqueued
	modes   []string // their job modes
	queue   []Job    // what jobs() lists
	after   map[string][]string
	self    string // unitOf's answer
	closed  bool
	cgroup  string // typeProperty's answer
}

func (f *fakeBus) typeProperty(context.Context, string, string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cgroup, f.propErr
}

func (f *fakeBus) strv(_ context.Context, unit, _ string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.after[unit], nil
}

func (f *fakeBus) jobs(context.Context) ([]Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queue, nil
}

func (f *fakeBus) unitOf(context.Context, int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.self, nil
}

func (f *fakeBus) property(_ context.Context, _, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.propErr != nil {
		return "", f.propErr
	}
	if name == "LoadState" {
		return f.load, nil
	}
	s := f.states[0]
	if len(f.states) > 1 {
		f.states = f.states[1:]
	}
	return s, nil
}

func (f *fakeBus) enqueue(_ context.Context, kind, _, jobMode string, ch chan<- string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enqErr != nil {
		return f.enqErr
	}
	f.kinds = append(f.kinds, kind)
	f.modes = append(f.modes, jobMode)
	if f.result != "" {
		ch <- f.result // must not block: the channel is buffered
	}
	return nil
}

func (f *fakeBus) connected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.dead && !f.closed
}

func (f *fakeBus) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
}

func (f *fakeBus) setDead() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead = true
}

func (f *fakeBus) closedNow() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}
