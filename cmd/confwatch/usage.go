package main

import (
	"fmt"
	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/internal/flagerr"
)

// setUsageErrors makes every flag parse error of app and of its commands a
// short usage error (see usageError) instead of urfave/cli's default, which
// prints the whole help after Go's single-dash message.
func setUsageErrors(app *cli.App) {
	app.OnUsageError = usageError
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = usageError
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
}

// usageError is a cli.OnUsageErrorFunc: it returns one line naming the flag
// with its double dash, the bad value and what is expected, and where help
// is, e.g. `--ttl: invalid value "5x": want a duration like 30s; see
// 'confwatch register --help'`, with exitUsage.
func usageError(c *cli.Context, err error, _ bool) error {
	help := c.App.Name
	if c.Command != nil && c.Command.HelpName != "" {
		help = c.Command.HelpName
	}
	var flags []cli.Flag
	if c.Command != nil {
		flags = c.Command.Flags
	}
	return cli.Exit(fmt.Sprintf("%s; see '%s --help'", flagerr.Describe(err, flags), help), exitUsage)
}
