package main

import (
	"time"

	"github.com/urfave/cli/v2"
)

// confdAction runs when no command is given: confd's own command line.
// -onetime renders once, -watch (or watch = true in confd.toml) watches, and
// otherwise confwatch polls every -interval seconds, as confd does.
func confdAction(c *cli.Context) error {
	if c.NumFlags() == 0 && c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	if c.Bool("onetime") {
		return renderAction(c)
	}
	if c.NArg() > 0 {
		return cli.Exit("unknown command "+c.Args().First()+"; see confwatch --help", exitUsage)
	}
	l, err := loadConfig(c)
	if err != nil {
		return err
	}
	if c.Bool("keep-stage-file") {
		l.log.Warn("-keep-stage-file is accepted for confd but ignored: staged files are always removed")
	}
	if c.Bool("watch") || l.confdRes.Watch {
		return runAgent(c, 0)
	}
	interval := time.Duration(c.Int("interval")) * time.Second
	if !c.IsSet("interval") && l.cfg.Interval.Duration > 0 {
		interval = l.cfg.Interval.Duration
	}
	if interval <= 0 {
		return cli.Exit("-interval must be positive", exitUsage)
	}
	return runAgent(c, interval)
}
