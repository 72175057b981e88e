package resource

import (
	"errors"
	"time"
)

// Hold is a resource's reload hold (issue 17): with a reload_unit, further
// reloads wait while more than MaxDraining old generations of the unit's
// workers are still shutting down (package drain counts them), at most
// MaxHold, after which the final state is applied anyway.
type Hold struct {
	MaxDraining int // 0: no hold
	MaxHold     time.Duration
}

// Defaults of the hold for a resource with a reload_unit.
const (
	DefaultMaxDraining = 2
	DefaultMaxHold     = 60 * time.Second
)

// hold resolves max_draining and max_hold: as set, else the agent's
// defaults (def; nil: the built-in ones) for a resource with a reload_unit,
// else off. A reload_cmd has no unit whose processes could be counted, so
// max_draining > 0 needs reload_unit. The string is the key at fault.
func hold(s Spec, def *Hold) (Hold, string, error) {
	d := Hold{MaxDraining: DefaultMaxDraining, MaxHold: DefaultMaxHold}
	if def != nil {
		d = *def
	}
	h := Hold{MaxHold: d.MaxHold}
	if s.ReloadUnit != "" {
		h.MaxDraining = d.MaxDraining
	}
	if s.MaxDraining != nil {
		h.MaxDraining = *s.MaxDraining
	}
	if s.MaxHold != nil {
		h.MaxHold = s.MaxHold.Duration
	}
	switch {
	case h.MaxDraining < 0:
		return h, "max_draining", errors.New("max_draining must not be negative (0 turns the hold off)")
	case h.MaxDraining > 0 && s.ReloadUnit == "":
		return h, "max_draining", errors.New("max_draining needs reload_unit: the hold counts the unit's processes")
	case h.MaxHold < 0:
		return h, "max_hold", errors.New("max_hold must not be negative")
	}
	return h, "", nil
}
