package engine

import (
	"fmt"
	"time"
)

// State is where a resource stands after a sync.
type State string

// States of a resource.
const (
	StatePending   State = "pending"   // never synced
	StateUnchanged State = "unchanged" // dest already equals the render
	StateOK        State = "applied"   // dest replaced (and reloaded)
	StateWouldDo   State = "would-change"
	StateRefused   State = "refused" // a guard kept the last good file
	StateFailed    State = "failed"  // render, check, swap or reload failed
)

// Status is the outcome of the latest sync of one resource.
type Status struct {
	Name        string
	Dest        string
	State       State
	Revision    int64
	Err         error
	Stage       string // where an apply failed: stage, check, swap, reload ("" for render errors and refusals)
	Changed     bool
	DestExists  bool // a file is in place at dest (for ready_when = "dest-present")
	Reloaded    bool
	RolledBack  bool
	Check       time.Duration
	Reload      time.Duration
	LastApplied time.Time
}

// OK reports whether the resource is in its wanted state.
func (s Status) OK() bool { return s.State == StateOK || s.State == StateUnchanged }

// String is a one-line summary for logs and `render` output.
func (s Status) String() string {
	line := fmt.Sprintf("%-10s %s -> %s (revision %d)", s.State, s.Name, s.Dest, s.Revision)
	if s.Err != nil {
		line += ": " + s.Err.Error()
	}
	return line
}
