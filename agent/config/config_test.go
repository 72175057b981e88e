package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleConfigLoads(t *testing.T) {
	c := Default()
	if err := LoadFile("../../contrib/confwatch.toml", &c, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfd(t *testing.T) {
	p := filepath.Join(t.TempDir(), "confd.toml")
	text := "backend = \"etcdv3\"\nnodes = [\"10.0.0.1:2379\", \"https://10.0.0.2:2379\"]\nprefix = \"/prod\"\n" +
		"client_cakeys = \"/ca.pem\"\nlog-level = \"debug\"\nwatch = true\nsrv_record = \"x\"\ninterval = 30\nsync-only = true\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	res, err := LoadConfd(p, &c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.Etcd.Endpoints, ",")
	// A bare host:port gets https since TLS files are set (confd's behaviour).
	if got != "https://10.0.0.1:2379,https://10.0.0.2:2379" || c.Etcd.Prefix != "/prod" || c.Etcd.CAFile != "/ca.pem" ||
		c.LogLevel != "debug" || !res.Watch || c.Interval.Seconds() != 30 || !c.SyncOnly {
		t.Fatalf("confd.toml not honoured: %+v %+v", c, res)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), `confd.toml:7:1: warning: confd key "srv_record"`) {
		t.Fatalf("warnings: %v", res.Warnings)
	}
	if err := os.WriteFile(p, []byte("backend = \"etcd\"\nsecret_keyring = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = LoadConfd(p, &c); err != nil || len(res.Warnings) != 2 ||
		!strings.Contains(res.Warnings[0].Error()+res.Warnings[1].Error(), `unknown confd key "secret_keyring" is ignored`) {
		t.Fatalf("unknown key / v2 backend: %v %v", err, res.Warnings)
	}
	if err := os.WriteFile(p, []byte("backend = \"consul\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfd(p, &c); err == nil {
		t.Fatal("backend = consul accepted")
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"defaults", func(*Config) {}, ""},
		{"no endpoints", func(c *Config) { c.Etcd.Endpoints = nil }, "endpoints is empty"},
		{"cert without key", func(c *Config) { c.Etcd.CertFile = "x" }, "must be set together"},
		{"bad ready_when", func(c *Config) { c.ReadyWhen = "soon" }, "ready_when"},
		{"bad log format", func(c *Config) { c.LogFormat = "xml" }, "log_format"},
		{"port out of range", func(c *Config) { c.Etcd.Endpoints = []string{"http://127.0.0.1:99999"} }, "port 99999 is not a TCP port"},
		{"unclosed IPv6", func(c *Config) { c.Etcd.Endpoints = []string{"http://[::1"} }, "missing ']' in host"},
		{"unknown scheme", func(c *Config) { c.Etcd.Endpoints = []string{"ftp://127.0.0.1:2379"} }, `scheme "ftp"`},
		{"empty endpoint", func(c *Config) { c.Etcd.Endpoints = []string{""} }, "no host"},
		{"bare host:port", func(c *Config) { c.Etcd.Endpoints = []string{"10.0.0.1:2379", "[fd00::1]:2379"} }, ""},
		{"listen without a port", func(c *Config) { c.Listen = "notanaddr" }, `listen = "notanaddr": want HOST:PORT`},
		{"listen port out of range", func(c *Config) { c.Listen = "127.0.0.1:70000" }, "port 70000 is not a TCP port"},
		{"listen on any address", func(c *Config) { c.Listen = ":9102" }, ""},
		{"unix socket", func(c *Config) { c.Etcd.Endpoints = []string{"unix:///run/etcd.sock"} }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mod(&c)
			err := c.Validate()
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
