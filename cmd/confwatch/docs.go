package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// docsCommand prints the CLI reference generated from the command
// definitions, so the README and the man page never drift from the code.
func docsCommand() *cli.Command {
	return &cli.Command{
		Name:   "docs",
		Usage:  "print the command-line reference as markdown or a man page",
		Hidden: true,
		Flags:  []cli.Flag{&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or man"}},
		Action: func(c *cli.Context) error {
			app := newApp(c.App.Writer, c.App.ErrWriter)
			var out string
			var err error
			switch c.String("format") {
			case "markdown":
				out, err = app.ToMarkdown()
			case "man":
				out, err = app.ToMan()
			default:
				return cli.Exit("--format: want markdown or man", exitUsage)
			}
			if err != nil {
				return err
			}
			fmt.Fprint(c.App.Writer, out)
			return nil
		},
	}
}
