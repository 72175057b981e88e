package engine

import (
	"fmt"
	"time"
)

// Outcome is how one sync of a resource ended.
type Outcome string

// Outcomes of a sync.
const (
	OutcomePending     Outcome = "pending"   // never synced
	OutcomeUnchanged   Outcome = "unchanged" // dest already equals the render
	OutcomeApplied     Outcome = "applied"   // dest replaced (and reloaded)
	OutcomeWouldChange Outcome = "would-change"
	OutcomeRefused     Outcome = "refused" // a guard kept the last good file
	OutcomeFailed      Outcome = "failed"  // render, check, swap or reload failed
)

// Result is what one sync of one resource did: its Outcome and the details
// (error, stage, reload). The engine keeps no record of results: the caller
// does (package status folds them into the agent's one record). What was last
// applied, kept on disk for the guards and `plan`, is package state's record.
type Result struct {
	Name       string
	Dest       string
	Outcome    Outcome
	Revision   int64
	DirRevs    map[string]int64 // per directory the resource reads, the revision its data reflected (<= Revision)
	Err        error
	Stage      string // where an apply failed: stage, check, swap, reload ("" for render errors and refusals)
	Changed    bool
	DestExists bool // a file is in place at dest (for ready_when = "dest-present")
	Reloaded   bool
	RolledBack bool
	Check      time.Duration
	Reload     time.Duration
}

// OK reports whether the resource is in its wanted state.
func (s Result) OK() bool { return s.Outcome == OutcomeApplied || s.Outcome == OutcomeUnchanged }

// String is a one-line summary for logs and `render` output.
func (s Result) String() string {
	line := fmt.Sprintf("%-10s %s -> %s (revision %d)", s.Outcome, s.Name, s.Dest, s.Revision)
	if s.Err != nil {
		line += ": " + s.Err.Error()
	}
	return line
}
