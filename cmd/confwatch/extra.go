package main

import "github.com/urfave/cli/v2"

// extraCommands are the commands that live in their own files.
func extraCommands() []*cli.Command {
	return []*cli.Command{registerCommand(), statusCommand(), generateUnitsCommand(), lintUnitsCommand()}
}
