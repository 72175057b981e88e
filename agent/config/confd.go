package config

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/confwatch/confwatch/agent/diag"
)

// confdFile is confd.toml, with the keys that mean something here. confd
// mixes hyphens and underscores; both spellings are accepted where confd did.
type confdFile struct {
	ConfDir      *string  `toml:"confdir"`
	Backend      *string  `toml:"backend"`
	Nodes        []string `toml:"nodes"`
	Prefix       *string  `toml:"prefix"`
	ClientCert   *string  `toml:"client_cert"`
	ClientKey    *string  `toml:"client_key"`
	ClientCAKeys *string  `toml:"client_cakeys"`
	Username     *string  `toml:"username"`
	Password     *string  `toml:"password"`
	BasicAuth    *bool    `toml:"basic_auth"`
	LogLevel     *string  `toml:"log-level"`
	LogLevel2    *string  `toml:"log_level"`
	Noop         *bool    `toml:"noop"`
	SyncOnly     *bool    `toml:"sync-only"`
	SyncOnly2    *bool    `toml:"sync_only"`
	Interval     *int     `toml:"interval"`
	Watch        *bool    `toml:"watch"`
	Scheme       *string  `toml:"scheme"`
}

// ConfdIgnored lists confd.toml keys that have no meaning for confwatch: they
// draw a warning naming them, never an error and never silence.
var ConfdIgnored = []string{
	"auth_token", "auth_type", "app_id", "user_id", "role_id", "secret_id", "path",
	"table", "separator", "srv_domain", "srv_record", "client_insecure",
	"keep-stage-file", "keep_stage_file", "file", "filter", "debounce",
}

// ConfdResult says what LoadConfd took from confd.toml.
type ConfdResult struct {
	Watch    bool // confd.toml asked for watch mode
	Warnings diag.List
}

// LoadConfd reads a confd.toml over c. Keys with a meaning here are honoured;
// known confd keys without one are warnings; anything else is an error.
func LoadConfd(path string, c *Config) (ConfdResult, error) {
	var f confdFile
	var res ConfdResult
	ignored := map[string]bool{}
	for _, k := range ConfdIgnored {
		ignored[k] = true
	}
	// confd ignores keys it does not know; confwatch names them in a warning.
	tolerated, probs, err := diag.DecodeTOML(path, &f, func(toml.Key) bool { return true })
	if err != nil {
		return res, err
	}
	if err := probs.Err(); err != nil {
		return res, err
	}
	data := readOrNil(path)
	resource := false
	for _, k := range tolerated {
		if k[0] == "template" {
			// A template resource passed as -config-file (the seed's own
			// command line does): one warning, not one per key.
			if !resource {
				resource = true
				res.Warnings = append(res.Warnings, resourceAsConfd(path, data))
			}
			continue
		}
		line, col := diag.KeyPosition(data, k)
		msg := fmt.Sprintf("confd key %q has no meaning for confwatch and is ignored", k.String())
		if !ignored[k[0]] {
			msg = fmt.Sprintf("unknown confd key %q is ignored (confd ignores it too)", k.String())
		}
		res.Warnings = append(res.Warnings, diag.Problem{File: path, Line: line, Col: col, Warning: true, Msg: msg})
	}
	if f.Backend != nil {
		w, err := CheckBackend(*f.Backend)
		if err != nil {
			return res, fmt.Errorf("%s: %w", path, err)
		}
		if w != "" {
			res.Warnings = append(res.Warnings, diag.Problem{File: path, Warning: true, Msg: w})
		}
	}
	apply(f, c, &res)
	return res, nil
}

func apply(f confdFile, c *Config, res *ConfdResult) {
	setS := func(dst *string, v ...*string) {
		for _, p := range v {
			if p != nil {
				*dst = *p
			}
		}
	}
	setS(&c.ConfDir, f.ConfDir)
	setS(&c.Etcd.Prefix, f.Prefix)
	setS(&c.Etcd.CertFile, f.ClientCert)
	setS(&c.Etcd.KeyFile, f.ClientKey)
	setS(&c.Etcd.CAFile, f.ClientCAKeys)
	setS(&c.LogLevel, f.LogLevel, f.LogLevel2)
	// confd sends credentials only with basic_auth = true; confwatch sends them
	// whenever they are set (confd #695), so basic_auth needs no handling.
	setS(&c.Etcd.Username, f.Username)
	setS(&c.Etcd.Password, f.Password)
	if len(f.Nodes) > 0 {
		c.Etcd.Endpoints = nil
		for _, n := range f.Nodes {
			if f.Scheme != nil && !strings.Contains(n, "://") {
				n = *f.Scheme + "://" + n
			}
			c.Etcd.Endpoints = append(c.Etcd.Endpoints, n)
		}
	}
	for _, b := range []*bool{f.Noop} {
		if b != nil {
			c.Noop = *b
		}
	}
	for _, b := range []*bool{f.SyncOnly, f.SyncOnly2} {
		if b != nil {
			c.SyncOnly = *b
		}
	}
	if f.Interval != nil {
		c.Interval.Duration = secondsDuration(*f.Interval)
	}
	if f.Watch != nil {
		res.Watch = *f.Watch
	}
}

// CheckBackend checks confd's backend setting: etcdv3 is what confwatch
// reads; etcd (confd's v2 API backend) is accepted with a warning, since
// keys written through the v2 API are not visible over v3; anything else is
// an error.
func CheckBackend(b string) (warning string, err error) {
	switch b {
	case "", "etcdv3":
		return "", nil
	case "etcd":
		return "backend = \"etcd\" is confd's etcd v2 backend; confwatch reads the v3 API (keys written with the v2 API are not visible)", nil
	default:
		return "", fmt.Errorf("%w: backend = %q: confwatch reads etcd v3 only (etcdv3)", ErrInvalid, b)
	}
}

// resourceAsConfd is the warning for a template resource given where
// confd.toml was expected (-config-file conf.d/nginx.toml).
func resourceAsConfd(path string, data []byte) diag.Problem {
	line, col := diag.KeyPosition(data, toml.Key{"template"})
	return diag.Problem{File: path, Line: line, Col: col, Warning: true,
		Msg: "this is a template resource ([template]), not a confd.toml: -config-file ignores it; " +
			"template resources are read from the confdir's conf.d/ (-confdir), where it is used if it lies there"}
}
