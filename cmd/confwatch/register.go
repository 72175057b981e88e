package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/register"
	"github.com/confwatch/confwatch/sdnotify"
)

// Flag names of `confwatch register`.
const (
	fRegKey       = "key"
	fRegValue     = "value"
	fRegValueJSON = "value-json"
	fRegTTL       = "ttl"
	fRegHTTP      = "check-http"
	fRegTCP       = "check-tcp"
	fRegInterval  = "interval"
	fRegRise      = "rise"
	fRegFall      = "fall"
	catRegister   = "registration"
	catHealth     = "health check"
)

// registerCommand is `confwatch register`, the sidekick: it keeps KEY=VALUE
// in etcd under a lease while the backend is healthy (see package register),
// with the agent's etcd flags and configuration layering.
func registerCommand() *cli.Command {
	return &cli.Command{
		Name:      "register",
		Usage:     "keep KEY=VALUE in etcd under a lease while a backend is healthy (the sidekick)",
		UsageText: "confwatch register --key KEY (--value VALUE | --value-json JSON) [--ttl 30s] [--check-http URL | --check-tcp HOST:PORT]",
		Description: "Grants a lease of --ttl, puts KEY=VALUE under it and keeps it alive. A lost or revoked lease,\n" +
			"or the key deleted or overwritten, is repaired within about a second of etcd answering; etcd\n" +
			"being down at start or later is waited out, never an exit.\n\n" +
			"With --check-http (2xx or 3xx passes; redirects are not followed) or --check-tcp, the first\n" +
			"result counts at once (a healthy backend is registered immediately), then --rise passes in a\n" +
			"row register and --fall failures in a row deregister: the lease is revoked, so the key is gone\n" +
			"at once. Checks run --interval apart, each bounded by --interval.\n\n" +
			"For Type=notify units: READY=1 after the first registration, or with a health check after the\n" +
			"first check has been acted on, registered or not; STATUS= says registered (lease, TTL) or\n" +
			"unregistered and why. SIGTERM revokes the lease (the key disappears at once) and exits 0;\n" +
			"after a crash or kill -9 the key stays until the TTL runs out, never longer.\n\n" +
			"The value may be secret: it is logged at debug level only, and can come from\n" +
			"CONFWATCH_REGISTER_VALUE or CONFWATCH_REGISTER_VALUE_JSON instead of the command line.",
		Flags:  append(registerCommonFlags(), registerFlags()...),
		Action: registerAction,
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
		&cli.StringFlag{Name: fRegKey, Category: catRegister, Usage: "etcd `KEY` to keep, e.g. /services/web/10.0.0.5:8080", Required: true},
		&cli.StringFlag{Name: fRegValue, Category: catRegister, Usage: "`VALUE` of the key", EnvVars: env("CONFWATCH_REGISTER_VALUE")},
		&cli.StringFlag{Name: fRegValueJSON, Category: catRegister, Usage: "`JSON` value of the key, checked to be valid (instead of --value)", EnvVars: env("CONFWATCH_REGISTER_VALUE_JSON")},
		&cli.DurationFlag{Name: fRegTTL, Category: catRegister, Value: register.DefaultTTL, Usage: "lease `TTL`: how long the key outlives a crash; a whole number of seconds, at least 1s (etcd silently raises a TTL below its minimum, 2s by default)"},
		&cli.StringFlag{Name: fRegHTTP, Category: catHealth, Usage: "register only while GET `URL` answers 2xx or 3xx"},
		&cli.StringFlag{Name: fRegTCP, Category: catHealth, Usage: "register only while `HOST:PORT` accepts TCP connections"},
		&cli.DurationFlag{Name: fRegInterval, Category: catHealth, Value: register.DefaultInterval, Usage: "`DURATION` between checks, and the bound on each"},
		&cli.IntFlag{Name: fRegRise, Category: catHealth, Value: register.DefaultRise, Usage: "`N` passes in a row that register an unhealthy backend (the first check counts alone)"},
		&cli.IntFlag{Name: fRegFall, Category: catHealth, Value: register.DefaultFall, Usage: "`N` failures in a row that deregister a healthy backend"},
	}
}

func registerAction(c *cli.Context) error {
	opts, err := registerOptions(c)
	if err != nil {
		return cli.Exit(err, exitUsage)
	}
	l, err := loadConfig(c)
	if err != nil {
		return err
	}
	logged := false
	client, err := connectRetrying(c.Context, l.cfg.Etcd, func(err error) {
		if !logged {
			logged = true
			l.log.Warn("etcd unreachable; retrying", "err", err)
		}
	})
	if err != nil || client == nil {
		return err
	}
	opts.Log, opts.Notify = l.log, sdnotify.New()
	runErr := register.Run(c.Context, client, opts)
	if err := client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		l.log.Warn("closing the etcd client", "err", err)
	}
	if runErr != nil {
		return cli.Exit(runErr, exitFailed)
	}
	return nil
}

// registerOptions builds and validates register.Options from the flags
// (without Log and Notify). Errors wrap register.ErrInvalid.
func registerOptions(c *cli.Context) (register.Options, error) {
	o := register.Options{
		Key: c.String(fRegKey), TTL: c.Duration(fRegTTL), Interval: c.Duration(fRegInterval),
		Rise: c.Int(fRegRise), Fall: c.Int(fRegFall),
	}
	var err error
	switch v, j := c.IsSet(fRegValue), c.IsSet(fRegValueJSON); {
	case v && j:
		return o, fmt.Errorf("%w: --%s and --%s are mutually exclusive", register.ErrInvalid, fRegValue, fRegValueJSON)
	case j:
		if o.Value, err = register.JSONValue(c.String(fRegValueJSON)); err != nil {
			return o, fmt.Errorf("--%s: %w", fRegValueJSON, err)
		}
	case v:
		o.Value = c.String(fRegValue)
	default:
		return o, fmt.Errorf("%w: --%s or --%s is required", register.ErrInvalid, fRegValue, fRegValueJSON)
	}
	if o.Check, err = register.NewChecker(c.String(fRegHTTP), c.String(fRegTCP)); err != nil {
		return o, err
	}
	if o.TTL == 0 || o.Interval == 0 || o.Rise < 1 || o.Fall < 1 {
		return o, fmt.Errorf("%w: --%s, --%s, --%s and --%s must be positive", register.ErrInvalid, fRegTTL, fRegInterval, fRegRise, fRegFall)
	}
	return o, o.Validate()
}
