package systemd

import (
	"context"
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/agent/apply"
)

// Reloader is one resource's reload action, an apply.Reloader: Mode ("" is ModeReload)
// applied to Unit through M.
type Reloader struct {
	M               *Manager
	Unit, Mode      string
	StartIfInactive bool
}

// Reload calls r.M.Reload for r.Unit.
func (r Reloader) Reload(ctx context.Context) error {
	err := r.M.Reload(ctx, r.Unit, r.mode(), r.StartIfInactive)
	if errors.Is(err, ErrInactive) {
		return fmt.Errorf("%w: %w", apply.ErrNotRunning, err)
	}
	return err
}

// String describes the action, e.g. "systemd reload nginx.service".
func (r Reloader) String() string {
	s := "systemd " + r.mode() + " " + r.Unit
	if r.StartIfInactive {
		s += " (start if inactive)"
	}
	return s
}

func (r Reloader) mode() string {
	if r.Mode == "" {
		return ModeReload
	}
	return r.Mode
}
