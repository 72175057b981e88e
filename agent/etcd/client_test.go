package etcd_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestConnectFailuresSayWhy: every way a TLS connection can fail used to
// read "context deadline exceeded"; Probe must name the reason (the x509
// error, the TLS alert, the scheme mismatch, the refused connection).
func TestConnectFailuresSayWhy(t *testing.T) {
	good := testetcd.NewTLSFiles(t)
	other := testetcd.NewTLSFiles(t) // another CA
	tlsSrv := testetcd.StartTLS(t, good)
	wrongHost := good
	wrongHost.ServerCert, wrongHost.ServerKey = good.OtherHostCert, good.OtherHostKey
	hostSrv := testetcd.StartTLS(t, wrongHost)
	plain := testetcd.Start(t)
	host := func(ep string) string { return ep[strings.Index(ep, "://")+3:] }
	port := func(ep string) string { return ep[strings.LastIndex(ep, ":")+1:] }
	closed := closedPort(t)
	for _, tc := range []struct {
		name     string
		endpoint string
		ca, cert string
		key      string
		want     string
	}{
		{"wrong CA", tlsSrv.Endpoint, other.CA, good.ClientCert, good.ClientKey, "x509: certificate signed by unknown authority"},
		{"no client certificate", tlsSrv.Endpoint, good.CA, "", "", "certificate required"},
		{"expired client certificate", tlsSrv.Endpoint, good.CA, good.ExpiredCert, good.ExpiredKey, "expired"},
		{"wrong host name", "https://localhost:" + port(hostSrv.Endpoint), good.CA, good.ClientCert, good.ClientKey, "x509: certificate is valid for other.invalid, not localhost"},
		{"wrong IP address", hostSrv.Endpoint, good.CA, good.ClientCert, good.ClientKey, "x509: cannot validate certificate for 127.0.0.1"},
		{"http to a TLS server", "http://" + host(tlsSrv.Endpoint), good.CA, good.ClientCert, good.ClientKey, "speaks TLS"},
		{"https to a plain server", "https://" + host(plain.Endpoint), good.CA, good.ClientCert, good.ClientKey, "speaks plain HTTP/2, not TLS"},
		{"closed port", "http://" + closed, "", "", "", "connection refused"},
		{"silent server", "https://" + silentPort(t), good.CA, good.ClientCert, good.ClientKey, "within 1s (last error: context deadline exceeded)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Etcd{Endpoints: []string{tc.endpoint}, CAFile: tc.ca, CertFile: tc.cert, KeyFile: tc.key,
				DialTimeout: config.Duration{Duration: time.Second}}
			cli, err := etcd.New(c)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer func() { _ = cli.Close() }()
			err = etcd.Probe(context.Background(), cli, time.Second)
			if !errors.Is(err, etcd.ErrUnreachable) {
				t.Fatalf("Probe: %v, want ErrUnreachable", err)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Probe: %v\nwant the reason %q", err, tc.want)
			}
		})
	}
}

// TestCAFileWithoutCertificate: a CA file holding no certificate trusted
// nothing, so every connection failed later with "unknown authority"; New
// refuses it, naming the file.
func TestCAFileWithoutCertificate(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"a key, not a certificate", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n"},
		{"text", "not a certificate\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			cli, err := etcd.New(config.Etcd{Endpoints: []string{"https://127.0.0.1:2379"}, CAFile: ca,
				DialTimeout: config.Duration{Duration: time.Second}})
			if err == nil {
				_ = cli.Close()
				t.Fatal("New accepted a CA file with no certificate")
			}
			if !strings.Contains(err.Error(), ca) || !strings.Contains(err.Error(), "no certificate") {
				t.Fatalf("New: %v; want the file named and \"no certificate\"", err)
			}
		})
	}
}

// silentPort returns 127.0.0.1:PORT where connections are accepted (by the
// kernel) but never answered, like a frozen member.
func silentPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// closedPort returns 127.0.0.1:PORT where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
