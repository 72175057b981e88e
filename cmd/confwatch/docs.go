package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/internal/clidoc"
)

// docsCommand prints the CLI reference generated from the command
// definitions, so docs/cli.md and the man page never drift from the code.
func docsCommand() *cli.Command {
	return &cli.Command{
		Name:   "docs",
		Usage:  "print the command-line reference as markdown or a man page",
		Hidden: true,
		Flags:  []cli.Flag{&cli.StringFlag{Name: "format", Value: "markdown", Usage: "`FORMAT`: markdown or man"}},
		Action: func(c *cli.Context) error {
			ref := clidoc.New(newApp(c.App.Writer, c.App.ErrWriter), commonFlags())
			switch c.String("format") {
			case "markdown":
				fmt.Fprint(c.App.Writer, ref.Markdown())
			case "man":
				fmt.Fprint(c.App.Writer, ref.Man())
			default:
				return cli.Exit("--format: want markdown or man", exitUsage)
			}
			return nil
		},
	}
}
