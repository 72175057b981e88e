// Package config holds confwatch's one Config value and how it is layered:
// defaults < confd.toml (for drop-in confd use) < confwatch.toml < CONFWATCH_*
// environment < command-line flags. The first three layers live here; the
// environment and flags are applied by the command line (only flags that are
// set), then Validate runs once.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultFile is where the agent's own configuration lives.
const DefaultFile = "/etc/confwatch/confwatch.toml"

// Config is the whole configuration of one confwatch process.
type Config struct {
	ConfDir   string   `toml:"confdir"`    // confd layout: confd.toml, conf.d/, templates/
	LogLevel  string   `toml:"log_level"`  // debug, info, warn, error
	LogFormat string   `toml:"log_format"` // auto, text, json, journal
	Noop      bool     `toml:"noop"`       // render and check, change nothing (confd -noop)
	SyncOnly  bool     `toml:"sync_only"`  // write files, run no check or reload (confd -sync-only)
	ReadyWhen string   `toml:"ready_when"` // applied | dest-present
	Listen    string   `toml:"listen"`     // address for /healthz and /metrics; empty: off
	StateDir  string   `toml:"state_dir"`  // what was last applied, per resource; empty: memory only
	Interval  Duration `toml:"interval"`   // poll instead of watch when > 0 (confd -interval)
	// The drain barrier (issue 16): where `run` announces what it applied,
	// under which name (empty: the host name) and lease TTL; empty AckPrefix:
	// off. `register` and `status` read the same prefix.
	AckPrefix string   `toml:"ack_prefix"`
	AckName   string   `toml:"ack_name"`
	AckTTL    Duration `toml:"ack_ttl"`
	// The reload hold's defaults for resources with a reload_unit that do
	// not set max_draining / max_hold themselves (0: no hold).
	MaxDraining int      `toml:"max_draining"`
	MaxHold     Duration `toml:"max_hold"`
	Etcd        Etcd     `toml:"etcd"`
}

// Etcd says how to reach etcd.
type Etcd struct {
	Endpoints      []string `toml:"endpoints"`
	Prefix         string   `toml:"prefix"` // global key prefix; replaces a resource's own, as in confd
	CertFile       string   `toml:"cert_file"`
	KeyFile        string   `toml:"key_file"`
	CAFile         string   `toml:"ca_file"`
	Username       string   `toml:"username"`
	Password       string   `toml:"password"`
	DialTimeout    Duration `toml:"dial_timeout"`    // bound on reaching an endpoint
	RequestTimeout Duration `toml:"request_timeout"` // bound on one read
}

// Duration is a time.Duration written in TOML as a string ("5s", "250ms").
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		ConfDir:   "/etc/confd",
		LogLevel:  "info",
		LogFormat: "auto",
		ReadyWhen: "applied",
		StateDir:  "/var/lib/confwatch",
		AckTTL:    Duration{10 * time.Second},
		// resource.DefaultMaxDraining, DefaultMaxHold (config cannot import resource).
		MaxDraining: 2,
		MaxHold:     Duration{60 * time.Second},
		Etcd: Etcd{
			Endpoints:      []string{"http://127.0.0.1:2379"},
			DialTimeout:    Duration{5 * time.Second},
			RequestTimeout: Duration{10 * time.Second},
		},
	}
}

// ErrInvalid is wrapped by every Validate error.
var ErrInvalid = errors.New("invalid configuration")

// Validate checks values that no single layer can check alone.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...))
	}
	if len(c.Etcd.Endpoints) == 0 {
		bad("etcd.endpoints is empty")
	}
	tls := c.Etcd.CAFile != "" || c.Etcd.CertFile != ""
	for i, e := range c.Etcd.Endpoints {
		c.Etcd.Endpoints[i] = c.Etcd.takeUserinfo(NormalizeEndpoint(e, tls))
		if err := checkEndpoint(c.Etcd.Endpoints[i]); err != nil {
			bad("etcd endpoint %q: %v", c.Etcd.Endpoints[i], err)
		}
	}
	if (c.Etcd.CertFile == "") != (c.Etcd.KeyFile == "") {
		bad("etcd.cert_file and etcd.key_file must be set together")
	}
	switch c.ReadyWhen {
	case "applied", "dest-present":
	default:
		bad("ready_when = %q: want \"applied\" or \"dest-present\"", c.ReadyWhen)
	}
	switch c.LogFormat {
	case "auto", "text", "json", "journal":
	default:
		bad("log_format = %q: want auto, text, json or journal", c.LogFormat)
	}
	if c.Etcd.DialTimeout.Duration <= 0 || c.Etcd.RequestTimeout.Duration <= 0 {
		bad("etcd timeouts must be positive")
	}
	if c.Interval.Duration < 0 {
		bad("interval must not be negative")
	}
	if t := c.AckTTL.Duration; t < time.Second || t%time.Second != 0 {
		bad("ack_ttl = %s: want a whole number of seconds, at least 1s (etcd lease TTLs are)", t)
	}
	if c.AckPrefix != "" && !strings.HasPrefix(c.AckPrefix, "/") {
		bad("ack_prefix = %q: want an absolute key prefix such as /confwatch/acks", c.AckPrefix)
	}
	if strings.Contains(c.AckName, "/") {
		bad("ack_name = %q: must not contain '/'", c.AckName)
	}
	if c.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen = %q: want HOST:PORT (%v)", c.Listen, err)
		} else if !tcpPort(port, 0) { // 0: any free port
			bad("listen = %q: port %s is not a TCP port", c.Listen, port)
		}
	}
	if c.MaxDraining < 0 || c.MaxHold.Duration < 0 {
		bad("max_draining and max_hold must not be negative")
	}
	return errors.Join(errs...)
}

// takeUserinfo returns endpoint e without a user:password@, which becomes the
// credentials unless a username is configured: nothing that names the
// endpoints (errors, logs, the status) can then echo a password.
func (c *Etcd) takeUserinfo(e string) string {
	u, err := url.Parse(e)
	if err != nil || u.User == nil {
		return e
	}
	if c.Username == "" {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	u.User = nil
	return u.String()
}

// userinfo matches the user[:password]@ of a URL in free text.
var userinfo = regexp.MustCompile(`(://)[^/@\s,]+@`)

// Redact masks the userinfo of every URL in s ("http://***@host:2379"), for
// text that may quote an endpoint as given.
func Redact(s string) string { return userinfo.ReplaceAllString(s, "${1}***@") }

// checkEndpoint refuses an endpoint no dial can reach: not a URL, a scheme
// other than http, https, unix or unixs (what clientv3 dials), no host, or
// a port that is not 1-65535. Such an endpoint is bad configuration (exit 2),
// not an etcd that does not answer (exit 3, retried for ever by run).
func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	if err != nil {
		return errors.Unwrap(err) // url.Error repeats the whole URL
	}
	switch u.Scheme {
	case "http", "https":
	case "unix", "unixs":
		return nil
	default:
		return fmt.Errorf("scheme %q: want http or https (or unix, unixs)", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("no host")
	}
	if p := u.Port(); p != "" && !tcpPort(p, 1) {
		return fmt.Errorf("port %s is not a TCP port", p)
	}
	return nil
}

// tcpPort reports whether p is a port number from min to 65535.
func tcpPort(p string, min int) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= min && n <= 65535
}

// NormalizeEndpoint accepts confd's forms (host:port, http://host:port) and
// returns a URL etcd's client takes: a bare host:port gets https when TLS
// files are configured (etcd's client would otherwise drop TLS for http).
func NormalizeEndpoint(e string, tls bool) string {
	e = strings.TrimSpace(e)
	if !strings.Contains(e, "://") {
		if tls {
			return "https://" + e
		}
		return "http://" + e
	}
	return e
}
