package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/ack"
	"github.com/confwatch/confwatch/agent/config"
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

// applyAckFlags copies the set drain-barrier flags onto cfg.
func applyAckFlags(ctx *cli.Context, cfg *config.Config) {
	if setHere(ctx, fAckPrefix) {
		cfg.AckPrefix = ctx.String(fAckPrefix)
	}
	if setHere(ctx, fAckName) {
		cfg.AckName = ctx.String(fAckName)
	}
	if setHere(ctx, fAckTTL) {
		cfg.AckTTL.Duration = ctx.Duration(fAckTTL)
	}
}

// ackWriter is the announcer of `confwatch run`, nil when ack_prefix is off.
func ackWriter(l *loaded) (*ack.Writer, error) {
	if l.cfg.AckPrefix == "" {
		return nil, nil
	}
	name := l.cfg.AckName
	if name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, cli.Exit(fmt.Errorf("ack_name: no host name to default to: %w", err), exitUsage)
		}
		name = h
	}
	if err := ack.CheckName(name); err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	if l.cfg.Noop {
		l.log.Warn("noop: not announcing (nothing is applied)", "ack_prefix", l.cfg.AckPrefix)
		return nil, nil
	}
	w := ack.NewWriter(ack.WriterOptions{Prefix: l.cfg.AckPrefix, Name: name, TTL: l.cfg.AckTTL.Duration, Log: l.log})
	l.log.Info("announcing applies for the drain barrier", "key", w.Key(), "ttl", l.cfg.AckTTL.Duration)
	return w, nil
}

// statusCommand is `confwatch status`: every load balancer announcing under
// the prefix, what it applied, and how far behind etcd it is.
func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show what every load balancer announcing under --ack-prefix has applied (the drain barrier)",
		UsageText: "confwatch status --ack-prefix PREFIX [--json]",
		Description: "Reads every key under the prefix (one per `confwatch run --ack-prefix`) and prints one line\n" +
			"per load balancer: per watched directory the etcd revision its reloaded configuration\n" +
			"reflects, the lag behind etcd's current revision (revisions etcd moved on since; the\n" +
			"directory itself need not have changed in them), the age and the last result or error.\n" +
			"A key without a lease, or whose value is not an announcement, is shown and not counted.\n" +
			"Exit 0 when read, 3 when etcd could not be reached.",
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
	entries, rev, err := ack.List(ctx, cl, prefix)
	if err != nil {
		return cli.Exit(err, exitNoEtcd)
	}
	sum := ack.Summarize(prefix, entries, rev, time.Now())
	if c.Bool(fJSON) {
		return sum.WriteJSON(c.App.Writer)
	}
	return sum.WriteText(c.App.Writer)
}

// defaultAckPrefix is where generate-units makes load balancers announce.
const defaultAckPrefix = "/confwatch/acks"
