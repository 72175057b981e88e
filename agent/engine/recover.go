package engine

import (
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/agent/apply"
)

// Recover repairs, for every resource, what a killed agent left beside its
// dest (apply.Recover): the previous file kept during an in-place check is put
// back, stale staged files are swept. The agent calls it once at start, under
// its lock, before the first apply; a restored resource is applied again
// because its state stays unsettled.
func (e *Engine) Recover() error {
	var errs []error
	for _, r := range e.res {
		restored, err := apply.Recover(r.Dest)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
		}
		if restored {
			e.opts.Log.Warn("restored the previous file: the agent stopped during its in-place check", "resource", r.Name, "dest", r.Dest)
			e.unsettled(r, true)
		}
	}
	return errors.Join(errs...)
}
