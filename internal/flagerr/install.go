package flagerr

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Install makes every flag parse error of app and of its commands one line
// (see Describe) saying where help is, e.g. `--ttl: invalid value "5x": want
// a duration like 30s; see 'confwatch register --help'`, exiting with code,
// instead of urfave/cli's default, which prints the whole help after Go's
// single-dash message. Install commands before calling it.
func Install(app *cli.App, code int) {
	onError := func(c *cli.Context, err error, _ bool) error {
		help := c.App.Name
		if c.Command != nil && c.Command.HelpName != "" {
			help = c.Command.HelpName
		}
		var flags []cli.Flag
		if c.Command != nil {
			flags = c.Command.Flags
		}
		return cli.Exit(fmt.Sprintf("%s; see '%s --help'", Describe(err, flags), help), code)
	}
	app.OnUsageError = onError
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = onError
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
}
