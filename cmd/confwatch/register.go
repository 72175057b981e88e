package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

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
		UsageText: "confwatch register --key KEY (--value VALUE | --value-json JSON) [--ttl 30s] [--check-http URL | --check-tcp HOST:PORT] [--drain DURATION]",
		Description: "Grants a lease of --ttl, puts KEY=VALUE under it and keeps it alive. A lost or revoked lease,\n" +
			"or the key deleted or overwritten, is repaired within about a second of etcd answering; etcd\n" +
			"being down at start or later is waited out, never an exit.\n\n" +
			"With --check-http (2xx or 3xx passes; redirects are not followed) or --check-tcp, the first\n" +
			"result counts at once (a healthy backend is registered immediately), then --rise passes in a\n" +
			"row register and --fall failures in a row deregister: the lease is revoked, so the key is gone\n" +
			"at once. Checks run --interval apart, each bounded by --interval.\n\n" +
			"For Type=notify units: READY=1 after the first registration, or with a health check after the\n" +
			"first check has been acted on, registered or not; STATUS= says registered (lease, TTL) or\n" +
			"unregistered and why. SIGTERM or SIGINT sends STOPPING=1 and revokes the lease (the key\n" +
			"disappears at once), then exits 0; after a crash or kill -9 the key stays until the TTL runs\n" +
			"out, never longer.\n\n" +
			"With --drain, register keeps running that long after revoking the lease, with STATUS=\n" +
			"\"deregistered; draining 5s before exit\"; a second SIGTERM or SIGINT ends the wait. As the unit\n" +
			"is BindsTo= and After= its backend, systemd stops the backend only once register has exited:\n" +
			"the drain gives load balancers time to see the key gone, re-render and reload first. Keep it\n" +
			"below the unit's TimeoutStopSec= (90s by default), or systemd kills register before it ends.\n\n" +
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
		&cli.StringFlag{Name: fRegKey, Category: catRegister, Usage: "etcd `KEY` to keep, e.g. /services/web/10.0.0.5:8080 (required)"},
		&cli.StringFlag{Name: fRegValue, Category: catRegister, Usage: "`VALUE` of the key", EnvVars: env("CONFWATCH_REGISTER_VALUE")},
		&cli.StringFlag{Name: fRegValueJSON, Category: catRegister, Usage: "`JSON` value of the key, checked to be valid (instead of --value)", EnvVars: env("CONFWATCH_REGISTER_VALUE_JSON")},
		&cli.StringFlag{Name: fRegFormat, Category: catRegister, Value: register.FormatAny, Usage: "what the value must be: `FORMAT` any, or hostport (IPv4:port, [IPv6]:port or name:port, port 1-65535, nothing else: no ';', space, brace or newline); generated sidekicks use hostport"},
		&cli.DurationFlag{Name: fRegTTL, Category: catRegister, Value: register.DefaultTTL, Usage: "lease `TTL`: how long the key outlives a crash; a whole number of seconds, at least 1s (etcd silently raises a TTL below its minimum, 2s by default)"},
		&cli.DurationFlag{Name: fRegDrain, Category: catRegister, Usage: "on stop, keep running `DURATION` after the key is deleted, before exiting (lets load balancers drop the backend before systemd stops it; only when the key was registered; a second SIGTERM or SIGINT, e.g. Ctrl-C or systemctl kill, ends it)"},
		&cli.StringFlag{Name: fRegHTTP, Category: catHealth, Usage: "register only while GET `URL` answers 2xx or 3xx"},
		&cli.StringFlag{Name: fRegTCP, Category: catHealth, Usage: "register only while `HOST:PORT` accepts TCP connections"},
		&cli.DurationFlag{Name: fRegInterval, Category: catHealth, Value: register.DefaultInterval, Usage: "`DURATION` between checks, and the bound on each"},
		&cli.IntFlag{Name: fRegRise, Category: catHealth, Value: register.DefaultRise, Usage: "`N` passes in a row that register an unhealthy backend (the first check counts alone)"},
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
	cut, release := secondSignal()
	defer release()
	logged := false
	client, err := connectRetrying(c.Context, l.cfg.Etcd, func(err error) {
		if !logged {
			logged = true
			l.log.Warn("etcd unreachable; retrying", "err", err)
		}
	})
	if err != nil || client == nil {
		return err // stopped before etcd answered: nothing to drain
	}
	opts.Log, opts.Notify, opts.CutDrain = l.log, sdnotify.New(), cut
	runErr := register.Run(c.Context, client, opts)
	if err := client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		l.log.Warn("closing the etcd client", "err", err)
	}
	if runErr != nil {
		return cli.Exit(runErr, exitFailed)
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
		Rise: c.Int(fRegRise), Fall: c.Int(fRegFall), Drain: c.Duration(fRegDrain),
	}
	if n := c.NArg(); n > 0 {
		return o, invalid("unexpected argument%s %s: register takes flags only (quote a value with spaces)",
			map[bool]string{true: "s"}[n > 1], quoteAll(c.Args().Slice()))
	}
	if !c.IsSet(fRegKey) {
		return o, invalid("--%s is required", fRegKey)
	}
	var err error
	if o.Value, err = registerValue(c); err != nil {
		return o, err
	}
	if o.Check, err = register.NewChecker(c.String(fRegHTTP), c.String(fRegTCP)); err != nil {
		return o, err
	}
	return o, o.Validate()
}

// registerValue is the value of --value or --value-json (or their
// environment variables): exactly one of them, not empty, and valid JSON for
// --value-json.
func registerValue(c *cli.Context) (string, error) {
	v, j := c.IsSet(fRegValue), c.IsSet(fRegValueJSON)
	name, env := fRegValue, "CONFWATCH_REGISTER_VALUE"
	if j {
		name, env = fRegValueJSON, "CONFWATCH_REGISTER_VALUE_JSON"
	}
	switch {
	case v && j:
		return "", invalid("--%s and --%s are mutually exclusive", fRegValue, fRegValueJSON)
	case !v && !j:
		return "", invalid("--%s or --%s is required", fRegValue, fRegValueJSON)
	case c.String(name) == "":
		return "", invalid("--%s (or %s) is empty (an unset variable in the unit file?)", name, env)
	case v:
		return c.String(fRegValue), nil
	}
	s, err := register.JSONValue(c.String(fRegValueJSON))
	if err != nil {
		return "", fmt.Errorf("--%s: %w", fRegValueJSON, err)
	}
	return s, nil
}

// invalid is an error wrapping register.ErrInvalid.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{register.ErrInvalid}, a...)...)
}

// quoteAll quotes each of args and joins them with spaces.
func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

// secondSignal returns a channel closed when the second SIGTERM or SIGINT
// from now on arrives: main's signal context ends the command's context on
// the first, so the second is the one that cuts a drain short. release stops
// listening (and the goroutine); it must be called once.
func secondSignal() (cut <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	c, done := make(chan struct{}), make(chan struct{})
	go func() {
		for n := 0; n < 2; {
			select {
			case <-sigs:
				n++
			case <-done:
				return
			}
		}
		close(c)
	}()
	return c, func() { signal.Stop(sigs); close(done) }
}
