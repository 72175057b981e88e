package drain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// Count is what one look at a unit's cgroup saw.
type Count struct {
	Generations int // old generations still draining (see Generations)
	Procs       int // processes read
	Unseen      int // processes listed but not readable in /proc (see Read)
}

// Counter counts the draining generations of units by name: the unit's
// cgroup from CG (systemd's ControlGroup, asked once per unit and kept until
// the cgroup is gone), then its processes from FS (rooted at "/"), matched
// by Match. It is safe for concurrent use.
type Counter struct {
	CG    func(ctx context.Context, unit string) (string, error)
	FS    fs.FS
	Match Matcher

	mu  sync.Mutex
	cgs map[string]string
}

// Count looks at unit once. A unit that runs no process counts nothing;
// errors name the unit.
func (c *Counter) Count(ctx context.Context, unit string) (Count, error) {
	cg, err := c.cgroup(ctx, unit)
	if err != nil || cg == "" {
		return Count{}, err
	}
	procs, unseen, err := Read(c.FS, cg)
	if errors.Is(err, fs.ErrNotExist) {
		c.forget(unit) // stopped or restarted: ask systemd again next time
		return Count{}, nil
	}
	if err != nil {
		return Count{}, fmt.Errorf("count draining workers of %s: %w", unit, err)
	}
	return Count{Generations: Generations(procs, c.Match), Procs: len(procs), Unseen: unseen}, nil
}

func (c *Counter) cgroup(ctx context.Context, unit string) (string, error) {
	c.mu.Lock()
	cg, ok := c.cgs[unit]
	c.mu.Unlock()
	if ok {
		return cg, nil
	}
	cg, err := c.CG(ctx, unit)
	if err != nil {
		return "", fmt.Errorf("count draining workers of %s: %w", unit, err)
	}
	if cg != "" {
		c.mu.Lock()
		if c.cgs == nil {
			c.cgs = map[string]string{}
		}
		c.cgs[unit] = cg
		c.mu.Unlock()
	}
	return cg, nil
}

func (c *Counter) forget(unit string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cgs, unit)
}
