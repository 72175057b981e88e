package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/resource"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "validate configuration, resources and templates without etcd",
		Description: "Checks TOML syntax and types, unknown keys, template syntax and functions, that each src\n" +
			"exists, that each dest directory exists and is writable, and that owner and group resolve.\n" +
			"Prints every problem as file:line:col: message; exit status 1 if there is any.\n" +
			"With --mock-data FILE it then renders every resource from FILE (a JSON or YAML mapping of etcd\n" +
			"key to value) instead of etcd and prints each output, or with --diff a unified diff against the\n" +
			"current dest; exit status 1 if a resource fails to render (say, a key FILE lacks) or would be refused.",
		Flags:  append(commandFlags(), mockFlags()...),
		Action: checkAction,
	}
}

func checkAction(c *cli.Context) error {
	l, err := loadConfig(c)
	if err != nil {
		return err
	}
	res, probs := resource.LoadAll(resource.Options{ConfDir: l.cfg.ConfDir, Prefix: l.cfg.Etcd.Prefix, Hold: engine.HoldOf(l.cfg), KeepBroken: true})
	for _, r := range res {
		probs = append(probs, r.FSProblems(c.IsSet(fMockData))...)
	}
	eng, tprobs := engine.New(res, engine.Options{Log: l.log})
	probs = append(probs, tprobs...)
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
	fmt.Fprintf(c.App.Writer, "ok: %d template resource(s) in %s\n", len(res), l.cfg.ConfDir)
	return nil
}
