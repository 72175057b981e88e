package daemon

import (
	"log/slog"

	"github.com/confwatch/confwatch/agent/dirlock"
	"github.com/confwatch/confwatch/agent/engine"
)

// Claim locks the agent's confdir and state_dir, so that a second agent on
// either is refused with an error naming the first (dirlock), and repairs
// what a killed agent left beside its destinations (engine.Recover: a group
// caught changing is put back, one whose reload was unconfirmed is reloaded
// by its next apply). Release the lock when the agent ends. A noop agent
// changes nothing and takes no lock (nil, nil).
func Claim(eng *engine.Engine, log *slog.Logger, confDir, stateDir string, noop bool) (*dirlock.Lock, error) {
	if noop {
		return nil, nil
	}
	lk, err := dirlock.Acquire(dirlock.Dir{Path: confDir, What: "confdir"}, dirlock.Dir{Path: stateDir, What: "state_dir", Optional: true})
	if err != nil {
		return nil, err
	}
	if err := eng.Recover(); err != nil {
		log.Error("cannot repair what the last run left beside a destination", "err", err)
	}
	return lk, nil
}

// RepairIfFree is Claim for a one-shot `render`, which may run next to an
// agent: when an agent holds the directories it repairs nothing, and the
// render finishes nothing (the agent did at its start, and its apply may be
// under way); else it repairs and lets go at once, so an agent starting
// meanwhile is not refused.
func RepairIfFree(eng *engine.Engine, log *slog.Logger, confDir, stateDir string, noop bool) {
	lk, err := Claim(eng, log, confDir, stateDir, noop)
	if err != nil {
		log.Info("not repairing files beside destinations: " + err.Error())
		return
	}
	lk.Release()
}
