package main

import (
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/logging"
)

// loaded is the layered configuration of one invocation.
type loaded struct {
	cfg      config.Config
	confdRes config.ConfdResult
	log      *slog.Logger
}

// loadConfig layers defaults < confd.toml < confwatch.toml < environment <
// flags and validates the result once. Set flags are read from the root down
// to the command, so a flag given after the command wins.
func loadConfig(c *cli.Context) (*loaded, error) {
	cfg, res, err := config.Layer(config.Sources{File: lastString(c, fConfig), FileOptional: !isSetAnywhere(c, fConfig),
		ConfdFile: lastString(c, fConfdFile), ConfdNamed: isSetAnywhere(c, fConfdFile),
		Over: func(cfg *config.Config) { applyFlags(c, cfg) }})
	if err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	l := &loaded{cfg: cfg, confdRes: res}
	backendWarning, err := config.CheckBackend(lastString(c, fBackend))
	if err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	if err := l.cfg.Validate(); err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	log, err := logging.New(c.App.ErrWriter, l.cfg.LogLevel, l.cfg.LogFormat)
	if err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	l.log = log
	for _, w := range l.confdRes.Warnings {
		log.Warn(w.Error())
	}
	if backendWarning != "" {
		log.Warn(backendWarning)
	}
	return l, nil
}

// applyFlags copies every set flag (or environment variable) onto cfg, from
// the root context down to the command's.
func applyFlags(c *cli.Context, cfg *config.Config) {
	lineage := c.Lineage()
	for i := len(lineage) - 1; i >= 0; i-- {
		ctx := lineage[i]
		if ctx == nil || ctx.Command == nil && ctx.App == nil {
			continue
		}
		applyLocal(ctx, cfg)
	}
}

func applyLocal(ctx *cli.Context, cfg *config.Config) {
	str := func(name string, dst *string) {
		if setHere(ctx, name) {
			*dst = ctx.String(name)
		}
	}
	str(fConfDir, &cfg.ConfDir)
	str(fPrefix, &cfg.Etcd.Prefix)
	str(fCertFile, &cfg.Etcd.CertFile)
	str(fKeyFile, &cfg.Etcd.KeyFile)
	str(fCAFile, &cfg.Etcd.CAFile)
	str(fUsername, &cfg.Etcd.Username)
	str(fPassword, &cfg.Etcd.Password)
	str(fLogLevel, &cfg.LogLevel)
	str(fLogFormat, &cfg.LogFormat)
	str(fStateDir, &cfg.StateDir)
	str(fReadyWhen, &cfg.ReadyWhen)
	str(fListen, &cfg.Listen)
	if setHere(ctx, fEndpoints) {
		cfg.Etcd.Endpoints = append([]string(nil), ctx.StringSlice(fEndpoints)...)
	}
	if setHere(ctx, fDialTO) {
		cfg.Etcd.DialTimeout.Duration = ctx.Duration(fDialTO)
	}
	if setHere(ctx, fNoop) {
		cfg.Noop = ctx.Bool(fNoop)
	}
	if setHere(ctx, fSyncOnly) {
		cfg.SyncOnly = ctx.Bool(fSyncOnly)
	}
	applyAckFlags(ctx, cfg)
}

// setHere reports whether name is defined on ctx's own command and was set
// there (by flag or environment).
func setHere(ctx *cli.Context, name string) bool {
	names := flagAliases(name)
	for _, n := range ctx.LocalFlagNames() {
		for _, a := range names {
			if n == a {
				return true
			}
		}
	}
	return false
}

// flagAliases returns every name of the common flag called name.
func flagAliases(name string) []string {
	for _, f := range append(commonFlags(), confdFlags()...) {
		if ns := f.Names(); ns[0] == name {
			return ns
		}
	}
	return []string{name}
}

func isSetAnywhere(c *cli.Context, name string) bool {
	for _, ctx := range c.Lineage() {
		if ctx != nil && setHere(ctx, name) {
			return true
		}
	}
	return false
}

// lastString returns the value of name from the deepest context that set it,
// else the default.
func lastString(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		if ctx != nil && setHere(ctx, name) {
			return ctx.String(name)
		}
	}
	return c.String(name)
}
