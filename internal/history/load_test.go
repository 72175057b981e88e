package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// writer makes about 50 changes a second under dir through live members:
// puts of k00..k19 with a new value, and now and then a delete, never below
// 15 keys (the shrink guard stays out of the way).
type writer struct {
	r      *rig
	mu     sync.Mutex
	ok     int
	failed int
	last   time.Time // the last write acknowledged
}

func (w *writer) run(ctx context.Context) {
	rng := rand.New(rand.NewPCG(1, 2))
	present := map[int]bool{}
	pad := strings.Repeat("x", 80) // values big enough to tell the watch stream by its bytes
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for seq := 0; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		k := rng.IntN(20)
		key := fmt.Sprintf("%s/k%02d", dir, k)
		var err error
		if present[k] && len(present) > 15 && rng.IntN(10) == 0 {
			_, err = w.r.del(ctx, key)
			if err == nil {
				delete(present, k)
			}
		} else {
			_, err = w.r.put(ctx, key, fmt.Sprintf("%d-%s", seq, pad))
			if err == nil {
				present[k] = true
			}
		}
		w.mu.Lock()
		if err == nil {
			w.ok++
			w.last = time.Now()
		} else {
			w.failed++
		}
		w.mu.Unlock()
	}
}

func (w *writer) counts() (ok, failed int, last time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ok, w.failed, w.last
}

// presence reads each sidekick's key through a live member every 50 ms once
// it was first seen, and keeps the longest absence seen while the cluster had
// quorum (a read that no member answered tells nothing and ends nothing).
type presence struct {
	r       *rig
	mu      sync.Mutex
	reads   int
	absent  map[string]time.Time // absent since
	longest time.Duration
	gaps    []string
}

func (p *presence) run(ctx context.Context) {
	p.absent = map[string]time.Time{}
	seen := map[string]bool{}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p.r.mu.Lock()
		var keys []string
		for _, s := range p.r.sides {
			keys = append(keys, s.key)
		}
		p.r.mu.Unlock()
		for _, k := range keys {
			if !p.r.quorum() {
				continue
			}
			there, ok, rev := p.r.get(ctx, k)
			if !ok {
				continue
			}
			p.note(k, there, seen[k], rev)
			seen[k] = seen[k] || there
		}
	}
}

func (p *presence) note(key string, there, seen bool, rev int64) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	since, was := p.absent[key]
	switch {
	case there && was:
		d := now.Sub(since)
		p.longest = max(p.longest, d)
		p.gaps = append(p.gaps, fmt.Sprintf("%s absent %v from %s (read at revision %d found it again)",
			key, d.Round(time.Millisecond), since.Format("15:04:05.000"), rev))
		delete(p.absent, key)
	case !there && seen && !was:
		p.absent[key] = now
	}
}

// report is the longest absence, the absences, and the reads made; a key
// still absent counts until now.
func (p *presence) report() (time.Duration, []string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	longest, gaps := p.longest, append([]string(nil), p.gaps...)
	for k, since := range p.absent {
		longest = max(longest, time.Since(since))
		gaps = append(gaps, fmt.Sprintf("%s absent since %s", k, since.Format("15:04:05.000")))
	}
	return longest, gaps, p.reads
}
