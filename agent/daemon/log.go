package daemon

import (
	"time"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/watch"
)

// logHooks are the hooks every loop has: a log line per change.
func logHooks(s *Setup) watch.Hooks {
	return watch.Hooks{
		Synced: func(rev int64) { s.Log.Info("cache synced", "revision", rev, "dirs", len(s.Engine.Dirs())) },
		Changed: func(dir string, rev int64, puts, dels int) {
			s.Log.Debug("change", "dir", dir, "revision", rev, "puts", puts, "deletes", dels)
		},
		Applied: func(group string, sts []engine.Result, took time.Duration) {
			s.Log.Debug("transaction done", "group", group, "took", took)
		},
	}
}
