package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/ack"
)

// Flag names of the drain barrier (issue 16).
const (
	fAckPrefix = "ack-prefix"
	fAckName   = "ack-name"
	fAckTTL    = "ack-ttl"
	fJSON      = "json"
	catAck     = "drain barrier"
)

// ackPrefixFlag is --ack-prefix, for run, register and status.
func ackPrefixFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: fAckPrefix, Category: catAck, Usage: usage, EnvVars: env("CONFWATCH_ACK_PREFIX")}
}

// runAckFlags are the announcement flags of `confwatch run`.
func runAckFlags() []cli.Flag {
	return []cli.Flag{
		ackPrefixFlag("announce under `PREFIX` what was applied, per directory and revision, for the drain barrier of `confwatch register` (off when empty)"),
		&cli.StringFlag{Name: fAckName, Category: catAck, Usage: "`NAME` of this load balancer's announcement, PREFIX/NAME (default: the host name)", EnvVars: env("CONFWATCH_ACK_NAME")},
		&cli.DurationFlag{Name: fAckTTL, Category: catAck, Usage: "`TTL` of the announcement's lease: how long a stopped or cut-off agent still counts (whole seconds; default 10s)", EnvVars: env("CONFWATCH_ACK_TTL")},
	}
}

// ackWriter is the announcer of `confwatch run`, nil when ack_prefix is off.
func ackWriter(l *loaded) (*ack.Writer, error) {
	if l.cfg.AckPrefix == "" {
		return nil, nil
	}
	w, err := ack.Open(ack.WriterOptions{Prefix: l.cfg.AckPrefix, Name: l.cfg.AckName, TTL: l.cfg.AckTTL.Duration, Log: l.log})
	if err != nil {
		return nil, cli.Exit(fmt.Errorf("ack_name: %w", err), exitUsage)
	}
	if l.cfg.Noop {
		l.log.Warn("noop: not announcing (nothing is applied)", "ack_prefix", l.cfg.AckPrefix)
		return nil, nil
	}
	l.log.Info("announcing applies for the drain barrier", "key", w.Key(), "ttl", l.cfg.AckTTL.Duration)
	return w, nil
}

// statusCommand is `confwatch status`: every load balancer announcing under
// the prefix, what it applied, and how far behind etcd it is.
func statusCommand() *cli.Command {
	return &cli.Command{
		Name:        "status",
		Usage:       "show what every load balancer announcing under --ack-prefix has applied (the drain barrier)",
		UsageText:   "confwatch status --ack-prefix PREFIX [--json]",
		Description: help("status"),
		Flags: append(registerCommonFlags(),
			ackPrefixFlag("`PREFIX` the load balancers announce under (default: ack_prefix, else /confwatch/acks)"),
			&cli.BoolFlag{Name: fJSON, Usage: "print JSON instead of text"}),
		Action: statusAction,
	}
}

func statusAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return cli.Exit(fmt.Errorf("status takes no arguments, got %q", c.Args().Slice()), exitUsage)
	}
	l, err := loadConfig(c)
	if err != nil {
		return err
	}
	prefix := l.cfg.AckPrefix
	if prefix == "" {
		prefix = defaultAckPrefix
	}
	s := &setup{loaded: l}
	cl, err := s.connect(c.Context)
	if err != nil {
		return err
	}
	defer func() { _ = cl.Close() }()
	ctx, cancel := context.WithTimeout(c.Context, l.cfg.Etcd.RequestTimeout.Duration)
	defer cancel()
	if err := ack.Report(ctx, cl, prefix, c.Bool(fJSON), c.App.Writer); errors.Is(err, ack.ErrRead) {
		return cli.Exit(err, exitNoEtcd)
	} else if err != nil {
		return err
	}
	return nil
}

// defaultAckPrefix is where generate-units makes load balancers announce.
const defaultAckPrefix = "/confwatch/acks"
