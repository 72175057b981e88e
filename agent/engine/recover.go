package engine

import (
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/agent/apply"
)

// Recover repairs, for every resource, what a killed agent left beside its
// dest (apply.Recover): the previous file kept during an in-place check is put
// back, a checked candidate whose reload had not ended stays at dest (its
// reload is redone, and a failure rolls back to the file kept before it),
// stale staged files are swept. The agent calls it once at start, under its
// lock, before the first apply; such a resource is applied again because its
// state stays unsettled.
func (e *Engine) Recover() error {
	var errs []error
	for _, r := range e.res {
		found, err := apply.Recover(r.Dest)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
		}
		switch found {
		case apply.Restored:
			e.opts.Log.Warn("restored the previous file: the agent stopped during its in-place check", "resource", r.Name, "dest", r.Dest)
			e.unsettled(r, true)
		case apply.ReloadPending:
			e.opts.Log.Warn("the agent stopped before the reload of a checked file ended: keeping it, the reload is redone", "resource", r.Name, "dest", r.Dest)
			e.unsettled(r, true)
		}
	}
	return errors.Join(errs...)
}
