// Package testetcd starts a real, embedded single-member etcd for tests, on
// loopback with a temporary data directory.
package testetcd

import (
	"context"
	"crypto/tls"
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Server is a running embedded etcd.
type Server struct {
	Etcd     *embed.Etcd
	Endpoint string // http://127.0.0.1:PORT (https with StartTLS)
	Dir      string
	peer     string
	tls      *TLSFiles
	tune     func(*embed.Config)
	Client   *clientv3.Client
}

// StartTLS starts an etcd that serves clients over TLS only and requires a
// client certificate signed by files.CA.
func StartTLS(t testing.TB, files TLSFiles) *Server {
	t.Helper()
	s := &Server{Dir: t.TempDir(), tls: &files}
	s.start(t, "https://127.0.0.1:0", "http://127.0.0.1:0")
	return s
}

// StartWith is Start with tune applied to the embedded configuration before
// it starts (for example to lower MaxTxnOps or enable auth-related limits).
func StartWith(t testing.TB, tune func(*embed.Config)) *Server {
	t.Helper()
	s := &Server{Dir: t.TempDir(), tune: tune}
	s.start(t, "http://127.0.0.1:0", "http://127.0.0.1:0")
	return s
}

// Start starts an etcd whose data lives in a fresh temporary directory. It is
// stopped at the end of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{Dir: t.TempDir()}
	s.start(t, "http://127.0.0.1:0", "http://127.0.0.1:0")
	return s
}

func (s *Server) start(t testing.TB, client, peer string) {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = s.Dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	cu, _ := url.Parse(client)
	pu, _ := url.Parse(peer)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	if s.tune != nil {
		s.tune(cfg)
	}
	var tlsCfg *tls.Config
	if s.tls != nil {
		cfg.ClientTLSInfo = transport.TLSInfo{CertFile: s.tls.ServerCert, KeyFile: s.tls.ServerKey,
			TrustedCAFile: s.tls.CA, ClientCertAuth: true}
		ci := transport.TLSInfo{CertFile: s.tls.ClientCert, KeyFile: s.tls.ClientKey, TrustedCAFile: s.tls.CA}
		var err error
		if tlsCfg, err = ci.ClientConfig(); err != nil {
			t.Fatal(err)
		}
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		t.Fatal("etcd not ready after 30s")
	}
	s.Etcd = e
	s.Endpoint = cu.Scheme + "://" + e.Clients[0].Addr().String()
	s.peer = "http://" + e.Peers[0].Addr().String()
	if s.Client == nil {
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop(), TLS: tlsCfg})
		if err != nil {
			t.Fatal(err)
		}
		s.Client = c
	}
	// Cleanups run last-registered first: close the client before the server,
	// so its streams end at once instead of waiting for the server to time out.
	t.Cleanup(s.Stop)
	if c := s.Client; c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
}

// Stop stops the server (idempotent). Data stays for Restart.
func (s *Server) Stop() {
	if s.Etcd != nil {
		s.Etcd.Close()
		s.Etcd = nil
	}
}

// Restart starts the server again on the same data and client address.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t, s.Endpoint, s.peer)
}

// Put writes key=value, failing the test on error.
func (s *Server) Put(t testing.TB, key, value string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.Client.Put(ctx, key, value)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return r.Header.Revision
}

// Delete removes key.
func (s *Server) Delete(t testing.TB, key string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.Client.Delete(ctx, key)
	if err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
	return r.Header.Revision
}
