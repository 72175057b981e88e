package main

import (
	"errors"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/daemon"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/systemd"
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
			"running apply and exits 0.\n\n" +
			"With --ack-prefix (ack_prefix), the agent announces after its first render and after every\n" +
			"apply, under a lease of its own (--ack-ttl, ack_ttl), one key PREFIX/NAME (--ack-name,\n" +
			"ack_name; default the host name): per watched directory the etcd revision the reloaded\n" +
			"configuration reflects and the result (a failed or refused apply keeps the older revision\n" +
			"and says so). `confwatch register --ack-prefix` waits for it before its backend stops (the\n" +
			"drain barrier); `confwatch status` lists the announcements. With etcd RBAC the agent needs\n" +
			"write access to PREFIX only (read on the directories it renders, as before).",
		Flags: append(append(commandFlags(),
			&cli.DurationFlag{Name: "interval", Usage: "poll every `DURATION` instead of watching (confd -interval)"}),
			runAckFlags()...),
		Action: func(c *cli.Context) error { return runAgent(c, c.Duration("interval")) },
	}
}

// runAgent runs the agent (package daemon) until the context ends: by
// watching etcd when interval is 0, else by polling every interval.
func runAgent(c *cli.Context, interval time.Duration) error {
	crashBySignal()
	var mgr *systemd.Manager
	s, err := prepare(c, false, func(l *loaded) engine.ReloaderFunc {
		mgr = systemd.NewManager(l.log)
		return reloadersWith(mgr)(l)
	})
	if err != nil {
		return err
	}
	lk, err := daemon.Claim(s.eng, s.log, s.cfg.ConfDir, s.cfg.StateDir, s.cfg.Noop)
	if err != nil {
		return cli.Exit(err, exitUsage)
	}
	defer lk.Release()
	aw, err := ackWriter(s.loaded)
	if err != nil {
		return err
	}
	var announcer daemon.Announcer
	if aw != nil {
		announcer = aw
	}
	reload := func() (*daemon.Setup, error) {
		next, err := prepare(c, false, reloadersWith(mgr))
		if err != nil {
			return nil, err
		}
		return daemonSetup(next), nil
	}
	err = daemon.Run(c.Context, daemonSetup(s),
		daemon.Options{Poll: interval, Notify: sdnotify.New(), Manager: mgr, Reload: reload, Ack: announcer})
	if errors.Is(err, daemon.ErrReplace) {
		return cli.Exit(err, exitFailed)
	}
	return err
}

func daemonSetup(s *setup) *daemon.Setup {
	return &daemon.Setup{Engine: s.eng, Log: s.log, Etcd: s.cfg.Etcd, ReadyWhen: s.cfg.ReadyWhen, Listen: s.cfg.Listen}
}
