package main

import (
	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/plan"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:        "plan",
		Usage:       "show what render would change, and change nothing",
		Description: help("plan"),
		Flags:       append(commandFlags(), &cli.BoolFlag{Name: "force", Usage: "plan as render --force would apply"}),
		Action:      planAction,
	}
}

func planAction(c *cli.Context) error {
	s, err := prepareMode(c, c.Bool("force"), true, systemdReloaders)
	if err != nil {
		return err
	}
	cl, err := s.connect(c.Context)
	if err != nil {
		return err
	}
	defer cl.Close()
	snap, err := s.snapshot(c.Context, cl)
	if err != nil {
		return err
	}
	earlier := func(rev int64, dirs []string) (*etcd.Snapshot, error) { return etcd.ReadAt(c.Context, cl, dirs, rev) }
	if plan.All(c.App.Writer, s.eng, snap, earlier) > 0 {
		return cli.Exit("", exitFailed)
	}
	return nil
}
