package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/dirlock"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/systemd"
	"github.com/confwatch/confwatch/agent/watch"
	"github.com/confwatch/confwatch/sdnotify"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "watch etcd and keep every template resource applied (the agent)",
		Description: "Lists every directory the resources read, watches each from that revision, and applies\n" +
			"each reload group as its data changes: the first change at once, changes during an apply\n" +
			"merged into the next, min_reload_interval and wait honoured, the final state always applied.\n" +
			"A failed apply is retried with backoff. SIGHUP re-reads configuration, resources and\n" +
			"templates (a broken set is rejected and the old one keeps running); SIGTERM finishes a\n" +
			"running apply and exits 0.",
		Flags: append(commandFlags(),
			&cli.DurationFlag{Name: "interval", Usage: "poll every `DURATION` instead of watching (confd -interval)"}),
		Action: func(c *cli.Context) error { return runAgent(c, c.Duration("interval")) },
	}
}

// runAgent runs the agent until the context ends: by watching etcd when interval
// is 0, else by polling every interval.
func runAgent(c *cli.Context, interval time.Duration) error {
	var mgr *systemd.Manager
	s, err := prepare(c, false, func(l *loaded) engine.ReloaderFunc {
		mgr = systemd.NewManager(l.log)
		return reloadersWith(mgr)(l)
	})
	if err != nil {
		return err
	}
	lk, err := claim(s)
	if err != nil {
		return err
	}
	defer lk.Release()
	a := &agent{c: c, poll: interval, notify: sdnotify.New(), mgr: mgr}
	return a.run(s)
}

// claim locks the agent's confdir and state_dir (a second agent on either
// exits 2, naming the first) and repairs what a killed agent left beside its
// destinations. A noop agent changes nothing and takes no lock.
func claim(s *setup) (*dirlock.Lock, error) {
	if s.cfg.Noop {
		return nil, nil
	}
	lk, err := dirlock.Acquire(dirlock.Dir{Path: s.cfg.ConfDir, What: "confdir"}, dirlock.Dir{Path: s.cfg.StateDir, What: "state_dir"})
	if err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	if err := s.eng.Recover(); err != nil {
		s.log.Error("cannot repair what the last run left beside a destination", "err", err)
	}
	return lk, nil
}

// repairIfFree is claim for `render`, which may run next to an agent: when
// an agent holds the directories it repairs nothing (the agent did at its
// start, and its apply may be under way); else it repairs and lets go at
// once, so an agent starting meanwhile is not refused.
func repairIfFree(s *setup) {
	lk, err := claim(s)
	if err != nil {
		s.log.Info("not repairing files beside destinations: " + err.Error())
		return
	}
	lk.Release()
}

// logHooks are the hooks every agent has: a log line per change.
func logHooks(s *setup) watch.Hooks {
	return watch.Hooks{
		Synced: func(rev int64) { s.log.Info("cache synced", "revision", rev, "dirs", len(s.eng.Dirs())) },
		Changed: func(dir string, rev int64, puts, dels int) {
			s.log.Debug("change", "dir", dir, "revision", rev, "puts", puts, "deletes", dels)
		},
		Applied: func(group string, sts []engine.Status, took time.Duration) {
			s.log.Debug("transaction done", "group", group, "took", took)
		},
	}
}
