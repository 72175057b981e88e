package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/mockdata"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:        "check",
		Usage:       "validate configuration, resources and templates without etcd",
		Description: help("check"),
		Flags:       append(commandFlags(), mockFlags()...),
		Action:      checkAction,
	}
}

func checkAction(c *cli.Context) error {
	l, err := loadConfig(c)
	if err != nil {
		return err
	}
	eng, nres, probs := engine.Check(l.cfg, c.IsSet(fMockData), l.log)
	for _, p := range probs {
		fmt.Fprintln(c.App.Writer, p.Error())
	}
	n := len(probs.Errors())
	if n > 0 {
		return cli.Exit(fmt.Sprintf("%d problem(s) in %s", n, l.cfg.ConfDir), exitFailed)
	}
	if c.IsSet(fMockData) {
		return renderMock(c, eng)
	}
	fmt.Fprintf(c.App.Writer, "ok: %d template resource(s) in %s\n", nres, l.cfg.ConfDir)
	return nil
}

// Flags of `check` that render from a file instead of etcd.
const (
	fMockData = "mock-data"
	fDiff     = "diff"
)

func mockFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: fMockData, Usage: "render every resource from `FILE` (a JSON or YAML mapping of etcd key to value) instead of etcd, and print the outputs"},
		&cli.BoolFlag{Name: fDiff, Usage: "with --mock-data: print a unified diff against each current dest instead of the output"},
	}
}

// renderMock is check --mock-data: see package mockdata.
func renderMock(c *cli.Context, eng *engine.Engine) error {
	data, err := mockdata.Load(c.String(fMockData))
	if err != nil {
		return cli.Exit(err, exitUsage)
	}
	if bad := mockdata.Render(c.App.Writer, eng, data, c.Bool(fDiff)); bad > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d resources do not render from %s", bad, len(eng.Resources()), c.String(fMockData)), exitFailed)
	}
	return nil
}
