package main

import (
	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/internal/clilayer"
)

// Flag names shared by every command that reads configuration. Aliases are
// confd's spellings, so an existing confd command line keeps working.
const (
	fConfig     = "config"
	fConfDir    = "confdir"
	fConfdFile  = "config-file"
	fEndpoints  = "endpoints"
	fPrefix     = "prefix"
	fCertFile   = "cert-file"
	fKeyFile    = "key-file"
	fCAFile     = "ca-file"
	fUsername   = "username"
	fPassword   = "password"
	fLogLevel   = "log-level"
	fLogFormat  = "log-format"
	fNoop       = "noop"
	fSyncOnly   = "sync-only"
	fStateDir   = "state-dir"
	fBackend    = "backend"
	fBasicAuth  = "basic-auth"
	fReadyWhen  = "ready-when"
	fListen     = "listen"
	fDialTO     = "dial-timeout"
	catEtcd     = "etcd"
	catConf     = "configuration"
	catBehavior = "behaviour"
)

func env(names ...string) []string { return names }

// commonFlags are accepted by the root and by every command that loads
// configuration. Values set here beat CONFWATCH_* variables, which beat the
// files.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: fConfig, Category: catConf, Usage: "confwatch configuration `FILE`", Value: "/etc/confwatch/confwatch.toml", EnvVars: env("CONFWATCH_CONFIG")},
		&cli.StringFlag{Name: fConfDir, Category: catConf, Usage: "confd configuration `DIR` (confd.toml, conf.d/, templates/)", EnvVars: env("CONFWATCH_CONFDIR")},
		&cli.StringFlag{Name: fConfdFile, Category: catConf, Usage: "confd's confd.toml `FILE` (default: <confdir>/confd.toml)", EnvVars: env("CONFWATCH_CONFD_FILE")},
		&cli.StringSliceFlag{Name: fEndpoints, Aliases: []string{"node"}, Category: catEtcd, Usage: "etcd `URL`s (repeat or comma-separate)", EnvVars: env("CONFWATCH_ENDPOINTS")},
		&cli.StringFlag{Name: fPrefix, Category: catEtcd, Usage: "key `PREFIX` for every resource (replaces each resource's own, as in confd)", EnvVars: env("CONFWATCH_PREFIX")},
		&cli.StringFlag{Name: fCertFile, Aliases: []string{"client-cert"}, Category: catEtcd, Usage: "etcd client certificate `FILE`", EnvVars: env("CONFWATCH_CERT_FILE", "CONFD_CLIENT_CERT")},
		&cli.StringFlag{Name: fKeyFile, Aliases: []string{"client-key"}, Category: catEtcd, Usage: "etcd client key `FILE`", EnvVars: env("CONFWATCH_KEY_FILE", "CONFD_CLIENT_KEY")},
		&cli.StringFlag{Name: fCAFile, Aliases: []string{"client-ca-keys"}, Category: catEtcd, Usage: "etcd CA bundle `FILE`", EnvVars: env("CONFWATCH_CA_FILE", "CONFD_CLIENT_CAKEYS")},
		&cli.StringFlag{Name: fUsername, Category: catEtcd, Usage: "etcd `USER`", EnvVars: env("CONFWATCH_USERNAME")},
		&cli.StringFlag{Name: fPassword, Category: catEtcd, Usage: "etcd `PASSWORD` (prefer the file or CONFWATCH_PASSWORD)", EnvVars: env("CONFWATCH_PASSWORD")},
		&cli.DurationFlag{Name: fDialTO, Category: catEtcd, Value: config.Default().Etcd.DialTimeout.Duration, EnvVars: env("CONFWATCH_DIAL_TIMEOUT"),
			Usage: "one-shot commands (render, plan, -onetime) give up reaching etcd after `DURATION`; run and register never give up (each request of register is bounded by 2s)"},
		&cli.StringFlag{Name: fBackend, Category: catEtcd, Usage: "confd's backend: only etcd and etcdv3 are accepted", Hidden: true},
		&cli.BoolFlag{Name: fBasicAuth, Category: catEtcd, Usage: "accepted for confd; credentials are sent whenever set", Hidden: true},
		&cli.StringFlag{Name: fLogLevel, Category: catBehavior, Usage: "`LEVEL`: debug, info, warn or error (default: info; warn for render, check and plan)", EnvVars: env("CONFWATCH_LOG_LEVEL")},
		&cli.StringFlag{Name: fLogFormat, Category: catBehavior, Usage: "`FORMAT`: auto, text, json or journal", EnvVars: env("CONFWATCH_LOG_FORMAT")},
		&cli.BoolFlag{Name: fNoop, Category: catBehavior, Usage: "render and compare, change nothing (confd -noop)", EnvVars: env("CONFWATCH_NOOP")},
		&cli.BoolFlag{Name: fSyncOnly, Category: catBehavior, Usage: "write files but run no check or reload (confd -sync-only)", EnvVars: env("CONFWATCH_SYNC_ONLY")},
		&cli.StringFlag{Name: fStateDir, Category: catBehavior, Usage: "`DIR` recording what was last applied (guards, plan)", EnvVars: env("CONFWATCH_STATE_DIR")},
		&cli.StringFlag{Name: fReadyWhen, Category: catBehavior, Usage: "`WHEN` the run command tells systemd it is ready: applied or dest-present", EnvVars: env("CONFWATCH_READY_WHEN")},
		&cli.StringFlag{Name: fListen, Category: catBehavior, Usage: "`ADDR` serving /healthz and /metrics (off when empty)", EnvVars: env("CONFWATCH_LISTEN")},
	}
}

// commandFlags are commonFlags for a command: the same flags without their
// environment variables, which are read once, at the root. Otherwise a
// variable would count as set on the command and beat a flag given before
// the command name (CONFWATCH_CONFDIR=/a confwatch --confdir /b check).
func commandFlags() []cli.Flag { return clilayer.WithoutEnv(commonFlags()) }

// confdFlags are confd's mode flags, accepted at the root only.
func confdFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "onetime", Category: "confd", Usage: "render once and exit (= confwatch render)"},
		&cli.BoolFlag{Name: "watch", Category: "confd", Usage: "watch etcd (= confwatch run)"},
		&cli.IntFlag{Name: "interval", Category: "confd", Usage: "poll every `SECONDS` (without -watch)", Value: 600},
		&cli.BoolFlag{Name: "keep-stage-file", Category: "confd", Usage: "accepted for confd; staged files are always removed", Hidden: true},
	}
}
