package main

import (
	"github.com/confwatch/confwatch/agent/daemon"

	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/engine"
)

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:        "render",
		Usage:       "render every template resource once from etcd and apply the changed ones (confd -onetime)",
		Description: help("render"),
		Flags: append(commandFlags(),
			&cli.BoolFlag{Name: "force", Usage: "apply renders the guards refuse (empty or collapsing key sets)"}),
		Action: renderAction,
	}
}

func renderAction(c *cli.Context) error {
	s, err := prepare(c, c.Bool("force"), systemdReloaders)
	if err != nil {
		return err
	}
	daemon.RepairIfFree(s.eng, s.log, s.cfg.ConfDir, s.cfg.StateDir, s.cfg.Noop)
	return renderOnce(c, s)
}

func renderOnce(c *cli.Context, s *setup) error {
	client, err := s.connect(c.Context)
	if err != nil {
		return err
	}
	defer client.Close()
	snap, err := s.snapshot(c.Context, client)
	if err != nil {
		return err
	}
	sts := s.eng.Sync(c.Context, snap.Trees())
	return summarize(c, sts, s.cfg.Noop)
}

// summarize prints one line per resource (and with noop what would change)
// and fails unless all are fine.
func summarize(c *cli.Context, sts []engine.Result, noop bool) error {
	bad, would := 0, 0
	for _, st := range sts {
		fmt.Fprintln(c.App.Writer, st.String())
		if st.Outcome == engine.OutcomeWouldChange {
			would++
		} else if !st.OK() {
			bad++
		}
	}
	if noop {
		fmt.Fprintln(c.App.Writer, engine.NoopSummary(would, len(sts)))
	}
	if bad > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d resources not applied", bad, len(sts)), exitFailed)
	}
	return nil
}
