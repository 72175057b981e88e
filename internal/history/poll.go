package history

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Poller reads a file every period and keeps each content that differs from
// the one before, with the time it was first read. A missing file records
// nothing.
type Poller struct {
	path   string
	every  time.Duration
	mu     sync.Mutex
	obs    []Observation
	reads  int
	cancel context.CancelFunc
	done   chan struct{}
}

// Poll starts reading path every period until Stop.
func Poll(path string, every time.Duration) *Poller {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Poller{path: path, every: every, cancel: cancel, done: make(chan struct{})}
	go p.run(ctx)
	return p
}

func (p *Poller) run(ctx context.Context) {
	defer close(p.done)
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		p.read()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p *Poller) read() {
	b, err := os.ReadFile(p.path)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		return
	}
	p.reads++
	if n := len(p.obs); n == 0 || !bytes.Equal(p.obs[n-1].Data, b) {
		p.obs = append(p.obs, Observation{At: now, Data: b})
	}
}

// Seen returns the contents seen so far, in order, and how many reads were
// made.
func (p *Poller) Seen() ([]Observation, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Observation(nil), p.obs...), p.reads
}

// Stop ends the polling, after one last read.
func (p *Poller) Stop() {
	p.cancel()
	<-p.done
	p.read()
}

// ReadLog reads every file of dir, in name order: the contents a reload
// command copied there, one file per reload, named so that names sort in
// reload order (ReloadCommand); At is the time in the name.
func ReadLog(dir string) ([]Observation, error) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reload log: %w", err)
	}
	names := make([]string, 0, len(es))
	for _, e := range es {
		if filepath.Ext(e.Name()) == ".part" {
			continue // a copy cut short
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []Observation
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("reload log: %w", err)
		}
		ns, _ := strconv.ParseInt(n, 10, 64)
		out = append(out, Observation{At: time.Unix(0, ns), Data: b})
	}
	return out, nil
}

// ReloadCommand is a reload_cmd copying the destination to a new file of dir
// named by the nanosecond clock (GNU date), so ReadLog reads the reloads in
// order; a copy cut short stays a .part file, which ReadLog skips.
func ReloadCommand(dir string) string {
	return "f=" + dir + "/$(date +%s%N); cp {{.dest}} $f.part && mv $f.part $f"
}
