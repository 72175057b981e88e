package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/diag"
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
	res, probs := resource.LoadAll(resource.Options{ConfDir: l.cfg.ConfDir, Prefix: l.cfg.Etcd.Prefix, KeepBroken: true})
	for _, r := range res {
		probs = append(probs, fsProblems(r, c.IsSet(fMockData))...)
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

// fsProblems checks what a resource needs from the file system. With
// destWarn (rendering from mock data, say in a config repository's CI,
// where the dests do not exist), dest problems are warnings.
func fsProblems(r *resource.Resource, destWarn bool) diag.List {
	var out diag.List
	if _, err := os.Stat(r.SrcPath); err != nil {
		out = append(out, diag.Problem{File: r.File, Msg: fmt.Sprintf("src %s: %v", r.SrcPath, err)})
	}
	dir := filepath.Dir(r.Dest)
	dest := func(msg string) {
		out = append(out, diag.Problem{File: r.File, Msg: msg, Warning: destWarn})
	}
	if fi, err := os.Stat(dir); err != nil {
		dest(fmt.Sprintf("dest directory %s: %v", dir, err))
	} else if !fi.IsDir() {
		dest(fmt.Sprintf("dest directory %s is not a directory", dir))
	} else if err := syscall.Access(dir, 2|1); err != nil {
		dest(fmt.Sprintf("dest directory %s is not writable: %v", dir, err))
	}
	return out
}
