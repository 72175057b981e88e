package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/register"
	"github.com/confwatch/confwatch/sdnotify"
)

// Flag names of `confwatch register`.
const (
	fRegKey       = "key"
	fRegValue     = "value"
	fRegValueJSON = "value-json"
	fRegFormat    = "value-format"
	fRegTTL       = "ttl"
	fRegHTTP      = "check-http"
	fRegTCP       = "check-tcp"
	fRegInterval  = "interval"
	fRegRise      = "rise"
	fRegFall      = "fall"
	fRegDrain     = "drain"
	fRegDrainTO   = "drain-timeout"
	fRegGrace     = "start-grace"
	catRegister   = "registration"
	catHealth     = "health check"
)

// registerCommand is `confwatch register`, the sidekick: it keeps KEY=VALUE
// in etcd under a lease while the backend is healthy (see package register),
// with the agent's etcd flags and configuration layering.
func registerCommand() *cli.Command {
	return &cli.Command{
		Name:        "register",
		Usage:       "keep KEY=VALUE in etcd under a lease while a backend is healthy (the sidekick)",
		UsageText:   "confwatch register --key KEY (--value VALUE | --value-json JSON) [--ttl 30s] [--check-http URL | --check-tcp HOST:PORT] [--ack-prefix PREFIX [--drain-timeout 30s]] [--drain DURATION]",
		Description: help("register"),
		Flags:       append(registerCommonFlags(), registerFlags()...),
		Action:      registerAction,
	}
}

// registerCommonFlags are the commonFlags that mean something to register:
// configuration files, etcd connection and logging (not the agent's
// rendering flags, nor --prefix: --key is absolute).
func registerCommonFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range commandFlags() {
		switch f.Names()[0] {
		case fNoop, fSyncOnly, fStateDir, fReadyWhen, fListen, fPrefix, fBackend, fBasicAuth:
			continue
		}
		out = append(out, f)
	}
	return out
}

func registerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: fRegKey, Category: catRegister, Usage: "etcd `KEY` to keep, e.g. /services/web/10.0.0.5:8080 (required)"},
		&cli.StringFlag{Name: fRegValue, Category: catRegister, Usage: "`VALUE` of the key", EnvVars: env("CONFWATCH_REGISTER_VALUE")},
		&cli.StringFlag{Name: fRegValueJSON, Category: catRegister, Usage: "`JSON` value of the key, checked to be valid (instead of --value)", EnvVars: env("CONFWATCH_REGISTER_VALUE_JSON")},
		&cli.StringFlag{Name: fRegFormat, Category: catRegister, Value: register.FormatAny, Usage: "what the value must be: `FORMAT` any, or hostport (IPv4:port, [IPv6]:port or name:port, port 1-65535, nothing else: no ';', space, brace or newline); generated sidekicks use hostport"},
		&cli.DurationFlag{Name: fRegTTL, Category: catRegister, Value: register.DefaultTTL, Usage: "lease `TTL`: how long the key outlives a crash; a whole number of seconds, at least 1s (etcd silently raises a TTL below its minimum, 2s by default)"},
		&cli.DurationFlag{Name: fRegDrain, Category: catRegister, Usage: "on stop, keep running `DURATION` after the key is deleted (after the drain barrier, with --ack-prefix), before exiting (lets load balancers drop the backend before systemd stops it; only when the key was registered; a second SIGTERM or SIGINT, e.g. Ctrl-C or systemctl kill, ends it)"},
		ackPrefixFlag("on stop, wait until every load balancer announcing under `PREFIX` (confwatch run --ack-prefix) has applied the key's deletion: the drain barrier (off when empty)"),
		&cli.DurationFlag{Name: fRegDrainTO, Category: catAck, Value: register.DefaultDrainTimeout, Usage: "bound on the drain barrier's wait: `DURATION`"},
		&cli.StringFlag{Name: fRegHTTP, Category: catHealth, Usage: "register only while GET `URL` answers 2xx or 3xx"},
		&cli.StringFlag{Name: fRegTCP, Category: catHealth, Usage: "register only while `HOST:PORT` accepts TCP connections"},
		&cli.DurationFlag{Name: fRegInterval, Category: catHealth, Value: register.DefaultInterval, Usage: "`DURATION` between checks, and the bound on each"},
		&cli.IntFlag{Name: fRegRise, Category: catHealth, Value: register.DefaultRise, Usage: "`N` passes in a row that register an unhealthy backend (the first check counts alone)"},
		&cli.DurationFlag{Name: fRegGrace, Category: catHealth, Value: register.DefaultStartGrace, Usage: "for `DURATION` after start, until the backend first answers, check every 200ms and register at the first pass (--rise applies after it; 0: none)"},
		&cli.IntFlag{Name: fRegFall, Category: catHealth, Value: register.DefaultFall, Usage: "`N` failures in a row that deregister a healthy backend"},
	}
}

func registerAction(c *cli.Context) error {
	crashBySignal()
	opts, err := registerOptions(c)
	if err != nil {
		return cli.Exit(err, exitUsage)
	}
	l, err := loadConfig(c)
	if err != nil {
		return err
	}
	cut, release := register.SecondSignal()
	defer release()
	opts.Log, opts.Notify, opts.CutDrain = l.log, sdnotify.New(), cut
	opts.AckPrefix = l.cfg.AckPrefix
	err = register.RunWith(c.Context, l.cfg.Etcd, opts)
	if errors.Is(err, register.ErrClient) {
		return cli.Exit(err, exitUsage)
	}
	if err != nil {
		return cli.Exit(err, exitFailed)
	}
	return nil
}

// registerOptions builds register.Options from the flags (without Log,
// Notify and CutDrain) and validates them. Errors wrap register.ErrInvalid
// and name the argument or flag at fault, with its value unless that is
// --value or --value-json (which may be secret).
func registerOptions(c *cli.Context) (register.Options, error) {
	o := register.Options{
		Key: c.String(fRegKey), ValueFormat: c.String(fRegFormat), TTL: c.Duration(fRegTTL), Interval: c.Duration(fRegInterval),
		Rise: c.Int(fRegRise), Fall: c.Int(fRegFall), Drain: c.Duration(fRegDrain), StartGrace: c.Duration(fRegGrace),
		DrainTimeout: c.Duration(fRegDrainTO),
	}
	if err := register.NoArguments(c.Args().Slice()); err != nil {
		return o, err
	}
	if !c.IsSet(fRegKey) {
		return o, fmt.Errorf("%w: --%s is required", register.ErrInvalid, fRegKey)
	}
	var err error
	if o.Value, err = register.ValueFrom(ptrIf(c.IsSet(fRegValue), c.String(fRegValue)), ptrIf(c.IsSet(fRegValueJSON), c.String(fRegValueJSON))); err != nil {
		return o, err
	}
	if o.Check, err = register.NewChecker(c.String(fRegHTTP), c.String(fRegTCP)); err != nil {
		return o, err
	}
	return o, o.Validate()
}
