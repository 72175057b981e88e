package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/internal/clidoc"
)

// completionCommand prints a shell completion script for bash, zsh or fish.
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:        "completion",
		Usage:       "print a shell completion script (bash, zsh or fish)",
		ArgsUsage:   "bash|zsh|fish",
		Description: help("completion"),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return cli.Exit("completion: want one argument: bash, zsh or fish", exitUsage)
			}
			script, err := clidoc.Completion(c.Args().First(), newApp(c.App.Writer, c.App.ErrWriter))
			if err != nil {
				return cli.Exit(err.Error(), exitUsage)
			}
			_, err = fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}
