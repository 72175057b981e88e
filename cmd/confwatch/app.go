package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/logging"
	"github.com/confwatch/confwatch/internal/flagerr"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a resource failed, was refused, or a check found problems
	exitUsage  = 2 // bad flags, configuration or resources
	exitNoEtcd = 3 // etcd could not be reached
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole command line, testable in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(stderr, fatalPrefix(stderr)+"confwatch:", msg)
	}
	return code
}

// fatalPrefix is what the line saying why confwatch exits starts with: the journal's
// error priority when stderr is the journal (so `journalctl -p warning` shows why a
// service did not start), else nothing.
func fatalPrefix(stderr io.Writer) string {
	if logging.IsJournal(stderr) {
		return logging.PriorityError
	}
	return ""
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:                   "confwatch",
		Usage:                  "keep configuration files in step with etcd v3, the systemd way",
		Version:                version,
		Description:            help("confwatch"),
		Writer:                 stdout,
		ErrWriter:              stderr,
		EnableBashCompletion:   true,
		UseShortOptionHandling: false,
		ExitErrHandler:         func(*cli.Context, error) {},
		Flags:                  append(commonFlags(), confdFlags()...),
		Action:                 confdAction,
		Commands: []*cli.Command{
			renderCommand(),
			planCommand(),
			checkCommand(),
			runCommand(),
			docsCommand(),
			completionCommand(),
		},
	}
	app.Commands = append(app.Commands, extraCommands()...)
	flagerr.Install(app, exitUsage)
	return app
}
