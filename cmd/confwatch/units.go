package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/units"
	"github.com/urfave/cli/v2"
)

// generateUnitsCommand is `confwatch generate-units`: it writes the
// backend, sidekick and load-balancer units to --output DIR (unit files
// only), refusing to overwrite without --force, or to stdout with the
// README; --readme FILE writes the README there; with --with-confdir DIR
// it also writes the nginx template resource and template there.
func generateUnitsCommand() *cli.Command {
	d := units.DefaultSpec()
	str := func(cat, name, value, usage string) cli.Flag {
		return &cli.StringFlag{Category: cat, Name: name, Value: value, Usage: usage}
	}
	list := func(cat, name, usage string) cli.Flag {
		return &cli.StringSliceFlag{Category: cat, Name: name, Usage: usage}
	}
	dur := func(cat, name string, value time.Duration, usage string) cli.Flag {
		return &cli.DurationFlag{Category: cat, Name: name, Value: value, Usage: usage}
	}
	num := func(cat, name string, value int, usage string) cli.Flag {
		return &cli.IntFlag{Category: cat, Name: name, Value: value, Usage: usage}
	}
	flags := []cli.Flag{
		str("units", "flavor", d.Flavor, "`FLAVOR`: systemd ([Install] sections) or fleet ([X-Fleet] sections)"),
		str("units", "service", d.Service, "backend `NAME`: units <NAME>@.service and <NAME>-discovery@.service"),
		str("units", "lb-name", d.LBName, "load-balancer unit `NAME` (without .service)"),
		str("units", "restart", d.Restart, "systemd Restart= `POLICY` of the units"),
		dur("units", "restart-sec", *d.RestartDelay, "systemd RestartSec= `DURATION` of the units (0: restart at once)"),
		str("units", "confwatch", d.Confwatch, "confwatch binary `PATH` in the units"),
		str("units", "config", "", "confwatch configuration `FILE` passed as --config to the sidekick's register and the load balancer's run; etcd username and password go there, never on a command line"),
		str("units", "confdir", d.ConfDir, "confdir `DIR` the load balancer's confwatch run reads"),
		num("units", "lb-port", d.LBPort, "`PORT` nginx listens on (--with-confdir)"),
		str("units", "lb-listen", "", "IP `ADDR` nginx listens on (--with-confdir; default every address)"),
		num("units", "max-shrink", 50, "write max_shrink = \"`PERCENT`%\" into the --with-confdir resource: a drop of more backends than that since the last apply is held back (not given: the resource keeps confwatch's default, 50)"),
		str("backend", "runtime", d.Runtime, "`RUNTIME`: docker, podman or exec"),
		str("backend", "runtime-path", "", "docker or podman `PATH` (default /usr/bin/<runtime>)"),
		str("backend", "backend-image", d.BackendImage, "container `IMAGE` (docker, podman)"),
		str("backend", "backend-exec", "", "backend `COMMAND` (exec) or container command, split like a shell; {port} and {ip} are replaced"),
		num("backend", "container-port", d.ContainerPort, "`PORT` in the container the host port (the instance) maps to"),
		str("backend", "advertise-ip", "", "`IP` to register (default: $<advertise-env> from the environment file)"),
		str("backend", "advertise-env", d.AdvertiseEnv, "`VARIABLE` holding the IP to register"),
		str("backend", "environment-file", d.EnvironmentFile, "`FILE` defining the advertise variable"),
		list("etcd", "endpoints", "etcd `URL`s for register and run (default: confwatch's)"),
		str("etcd", "cert-file", "", "etcd client certificate `FILE`"),
		str("etcd", "key-file", "", "etcd client key `FILE`"),
		str("etcd", "ca-file", "", "etcd CA bundle `FILE`"),
		str("etcd", "key-prefix", "", "etcd `DIR` of the backends (default /services/<service>)"),
		str("etcd", "etcd-unit", d.EtcdUnit, "local etcd `UNIT` to order after (Wants=; empty for none)"),
		str("health", "health-check", d.HealthCheck, "`CHECK`: http, tcp or none; register only while the backend passes"),
		str("health", "health-path", d.HealthPath, "HTTP `PATH` checked"),
		dur("health", "ttl", d.TTL, "etcd lease `TTL` (whole seconds)"),
		dur("health", "interval", d.Interval, "health-check interval `DURATION`"),
		num("health", "rise", 0, "`N` passes before registering (0: register's default)"),
		num("health", "fall", 0, "`N` failures before deregistering (0: register's default)"),
		str("health", "ack-prefix", d.AckPrefix, "drain barrier `PREFIX`: the LB's run announces under it what it applied, and the sidekick's register waits there on stop until every LB reloaded without the backend (\"none\": no barrier, the sidekick waits --drain only)"),
		dur("health", "drain-timeout", d.DrainTimeout, "the sidekick's register --drain-timeout `DURATION`: bound on the drain barrier's wait"),
		dur("health", "drain", *d.Drain, "the sidekick's register --drain `DURATION`: how long it waits after revoking its key at stop, so nginx drops the backend before it stops (0: no --drain; TimeoutStopSec= is raised past 60s)"),
		&cli.BoolFlag{Name: "global-lb", Usage: "run the load balancer on every matching machine", Category: "fleet"},
		list("fleet", "machine-metadata", "`KEY=VALUE` required of backend machines"),
		list("fleet", "lb-machine-metadata", "`KEY=VALUE` required of load-balancer machines"),
		list("fleet", "lb-conflicts", "load-balancer Conflicts= `GLOB`s (default <service>@*.service, none with --global-lb; \"none\" for none)"),
		&cli.StringFlag{Name: "output", Usage: "write the unit files (only those) into `DIR` instead of stdout"},
		&cli.StringFlag{Name: "readme", Usage: "write the README (what the units do, how to install them) to `FILE`; without --output it is printed with the units"},
		&cli.StringFlag{Name: "with-confdir", Usage: "also write conf.d/<service>.toml and templates/<service>.tmpl into `DIR`. " +
			"One confwatch run renders a whole confdir: another service generated into the same DIR is served by the same load balancer " +
			"(give it another --lb-port, do not install its LB unit); a second LB unit needs its own --confdir"},
		&cli.BoolFlag{Name: "force", Usage: "overwrite existing files"},
	}
	return &cli.Command{
		Name:        "generate-units",
		Usage:       "write the backend, sidekick and load-balancer units for fleet or systemd",
		Description: help("generate-units"),
		Flags:       flags,
		Action:      generateUnitsAction,
	}
}

// notEmpty are the generate-units flags an empty value cannot mean
// anything for: the Spec would take the default for "", so --service "" given
// (an unset shell variable) made "apache" units without a word.
var notEmpty = []string{"service", "lb-name", "flavor", "restart", "confwatch", "confdir", "runtime",
	"runtime-path", "backend-image", "advertise-env", "environment-file", "key-prefix", "health-check", "health-path"}

// specFromFlags builds the units.Spec of a generate-units command line.
func specFromFlags(c *cli.Context) (units.Spec, error) {
	for _, n := range notEmpty {
		if c.IsSet(n) && c.String(n) == "" {
			return units.Spec{}, fmt.Errorf("--%s is empty (an unset variable?): give a value or leave the flag out", n)
		}
	}
	s := units.Spec{
		Flavor: c.String("flavor"), Service: c.String("service"), LBName: c.String("lb-name"),
		Runtime: c.String("runtime"), RuntimePath: c.String("runtime-path"),
		BackendImage: c.String("backend-image"), ContainerPort: c.Int("container-port"),
		AdvertiseIP: c.String("advertise-ip"), AdvertiseEnv: c.String("advertise-env"),
		EnvironmentFile: c.String("environment-file"), Endpoints: c.StringSlice("endpoints"),
		CertFile: c.String("cert-file"), KeyFile: c.String("key-file"), CAFile: c.String("ca-file"),
		KeyPrefix: c.String("key-prefix"), EtcdUnit: c.String("etcd-unit"),
		HealthCheck: c.String("health-check"), HealthPath: c.String("health-path"),
		TTL: c.Duration("ttl"), Interval: c.Duration("interval"), Rise: c.Int("rise"), Fall: c.Int("fall"),
		Restart: c.String("restart"), GlobalLB: c.Bool("global-lb"),
		MachineMetadata: c.StringSlice("machine-metadata"), LBMachineMetadata: c.StringSlice("lb-machine-metadata"),
		Confwatch: c.String("confwatch"), ConfigFile: c.String("config"), ConfDir: c.String("confdir"), LBPort: c.Int("lb-port"),
		LBListen: c.String("lb-listen"), AckPrefix: c.String("ack-prefix"), DrainTimeout: c.Duration("drain-timeout"),
	}
	s.Drain = ptrIf(true, c.Duration("drain"))
	s.RestartDelay = ptrIf(c.IsSet("restart-sec"), c.Duration("restart-sec")) // 0 is RestartSec=0, not the default
	s.MaxShrink = ptrIf(c.IsSet("max-shrink"), c.Int("max-shrink"))
	if v := c.String("backend-exec"); v != "" {
		argv, err := units.SplitCommand(v)
		if err != nil {
			return s, fmt.Errorf("--backend-exec: %w", err)
		}
		s.BackendExec = argv
	}
	if c.IsSet("lb-conflicts") {
		s.LBConflicts = units.Conflicts(c.StringSlice("lb-conflicts"))
	}
	return s, nil
}

func generateUnitsAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return cli.Exit(fmt.Sprintf("generate-units: unexpected argument %q", c.Args().First()), exitUsage)
	}
	spec, err := specFromFlags(c)
	if err != nil {
		return cli.Exit("generate-units: "+err.Error(), exitUsage)
	}
	out, err := units.Output{Dir: c.String("output"), Readme: c.String("readme"),
		WithConfDir: c.String("with-confdir"), Force: c.Bool("force")}.Prepare(spec)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	for _, w := range units.IgnoredFlags(spec, c.IsSet) {
		fmt.Fprintln(c.App.ErrWriter, "generate-units: warning: "+w)
	}
	if err := out.Write(c.App.Writer, c.App.ErrWriter); err != nil {
		return cli.Exit("generate-units: "+err.Error(), exitFailed)
	}
	return nil
}

// lintUnitsCommand is `confwatch lint-units FILE...`: units.Lint on every
// file, then units.Verify (systemd-analyze verify in a throwaway root)
// on the unit files among them unless --no-verify or systemd-analyze is
// missing. A file that is not a unit (README.md) is one finding. Findings
// go to the app's Writer as file:line: msg; any finding exits non-zero.
func lintUnitsCommand() *cli.Command {
	return &cli.Command{
		Name:      "lint-units",
		Usage:     "check unit files against fleet's rules and systemd-analyze verify",
		ArgsUsage: "FILE...",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "no-verify", Usage: "skip systemd-analyze verify"}},
		Action:    lintUnitsAction,
	}
}

func lintUnitsAction(c *cli.Context) error {
	paths := c.Args().Slice()
	if len(paths) == 0 {
		return cli.Exit("lint-units: no FILE given", exitUsage)
	}
	findings, verified, err := units.LintAndVerify(c.Context, paths, !c.Bool("no-verify"))
	if ue := (*units.UsageError)(nil); errors.As(err, &ue) {
		return cli.Exit("lint-units: "+err.Error(), exitUsage)
	} else if err != nil {
		return cli.Exit("lint-units: "+err.Error(), exitFailed)
	}
	if !verified {
		fmt.Fprintln(c.App.ErrWriter, "lint-units: systemd-analyze not found, verify skipped")
	}
	for _, f := range findings {
		fmt.Fprintln(c.App.Writer, f)
	}
	if len(findings) > 0 {
		return cli.Exit(fmt.Sprintf("lint-units: %d finding(s)", len(findings)), exitFailed)
	}
	return nil
}

// ptrIf is &v when set, else nil: a Spec field left at its default.
func ptrIf[T any](set bool, v T) *T {
	if !set {
		return nil
	}
	return &v
}
