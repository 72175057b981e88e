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
	tolerated, probs, err := diag.DecodeTOML(path, &f, func(k toml.Key) bool { return ignored[k[0]] })
	if err != nil {
		return res, err
	}
	if err := probs.Err(); err != nil {
		return res, err
	}
	data := readOrNil(path)
	for _, k := range tolerated {
		line, col := diag.KeyPosition(data, k)
		res.Warnings = append(res.Warnings, diag.Problem{File: path, Line: line, Col: col, Warning: true,
			Msg: fmt.Sprintf("confd key %q has no meaning for confwatch and is ignored", k.String())})
	}
	if f.Backend != nil && *f.Backend != "etcd" && *f.Backend != "etcdv3" {
		return res, fmt.Errorf("%s: backend = %q: confwatch reads etcd v3 only (etcd, etcdv3)", path, *f.Backend)
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
