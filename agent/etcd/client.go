// Package etcd connects to etcd v3 and reads consistent snapshots of key
// directories: every directory a render needs is read at one revision, in as
// few transactions as the server's --max-txn-ops allows.
package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/confwatch/confwatch/agent/config"
)

// ErrUnreachable is wrapped when no endpoint answered in time.
var ErrUnreachable = errors.New("etcd unreachable")

// reconnect bounds gRPC's reconnect backoff at a second: its default grows
// to two minutes, and etcd coming back must be noticed within about a
// second. (The health loop used to reset the backoff instead; grpc's
// ResetConnectBackoff reads the connection map unlocked, a data race with
// the balancer adding connections.)
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
	MinConnectTimeout: 5 * time.Second,
}

// New builds a client from the configuration. It does not wait for a
// connection (clientv3.New never does); use Probe for that.
func New(c config.Etcd) (*clientv3.Client, error) {
	cfg := clientv3.Config{
		Endpoints:            c.Endpoints,
		DialTimeout:          c.DialTimeout.Duration,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
		Username:             c.Username,
		Password:             c.Password,
		Logger:               zap.NewNop(),
		MaxCallRecvMsgSize:   math.MaxInt32,
		DialOptions:          []grpc.DialOption{grpc.WithConnectParams(reconnect)},
	}
	tlsCfg, err := tlsConfig(c)
	if err != nil {
		return nil, err
	}
	cfg.TLS = tlsCfg
	cfg.Context = context.WithValue(context.Background(), tlsKey{}, tlsCfg)
	cli, err := clientv3.New(cfg)
	if errors.Is(err, context.DeadlineExceeded) {
		// With a username, New authenticates at once and so needs etcd.
		why := reason(explainAll(context.Background(), c.Endpoints, tlsCfg))
		return nil, fmt.Errorf("%w: no answer from %s within %s while authenticating%s", ErrUnreachable, config.Redact(strings.Join(c.Endpoints, ",")), c.DialTimeout.Duration, why)
	}
	if err != nil {
		return nil, fmt.Errorf("etcd client for %s: %w", config.Redact(strings.Join(c.Endpoints, ",")), err)
	}
	return cli, nil
}

// ErrClient wraps the errors of Dial that are not etcd's: the client could
// not be built (bad TLS files, a bad endpoint).
var ErrClient = errors.New("etcd client")

// Dial is New, then Probe within c.DialTimeout: a client that answered, for
// one-shot commands. An error of New that does not wrap ErrUnreachable wraps
// ErrClient; Probe's errors are etcd's (unreachable, or refusing).
func Dial(ctx context.Context, c config.Etcd) (*clientv3.Client, error) {
	cli, err := New(c)
	if err != nil && !errors.Is(err, ErrUnreachable) {
		return nil, fmt.Errorf("%w: %w", ErrClient, err)
	}
	if err != nil {
		return nil, err
	}
	if err := Probe(ctx, cli, c.DialTimeout.Duration); err != nil {
		_ = cli.Close()
		return nil, err
	}
	return cli, nil
}

// tlsConfig builds the client TLS configuration (nil without TLS files). A
// CA file must hold at least one certificate: an empty pool would trust
// nothing and fail every connection later with "unknown authority".
func tlsConfig(c config.Etcd) (*tls.Config, error) {
	if c.CertFile == "" && c.CAFile == "" {
		return nil, nil
	}
	if c.CAFile != "" {
		b, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("etcd TLS: ca_file %s holds no certificate (want PEM CERTIFICATE blocks)", c.CAFile)
		}
	}
	info := transport.TLSInfo{CertFile: c.CertFile, KeyFile: c.KeyFile, TrustedCAFile: c.CAFile}
	tlsCfg, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd TLS (cert_file %q, key_file %q, ca_file %q): %w", c.CertFile, c.KeyFile, c.CAFile, err)
	}
	return tlsCfg, nil
}

// Probe checks within timeout that etcd answers a read. The error names the
// endpoints and wraps ErrUnreachable on a timeout; then it also says why, when
// a direct dial of the endpoints finds out (see explain.go): the refused
// connection, the x509 error or TLS alert, an http/https mismatch.
func Probe(parent context.Context, cli *clientv3.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	_, err := cli.Get(ctx, "/", clientv3.WithCountOnly(), clientv3.WithLimit(1))
	if err == nil || errors.Is(err, rpctypes.ErrPermissionDenied) {
		return nil // it answered: a user who may not read "/" is fine
	}
	eps := config.Redact(strings.Join(cli.Endpoints(), ","))
	if ctx.Err() != nil {
		tlsCfg, _ := cli.Ctx().Value(tlsKey{}).(*tls.Config)
		if why := explainAll(parent, cli.Endpoints(), tlsCfg); why != nil {
			return fmt.Errorf("%w: no answer from %s within %s%s", ErrUnreachable, eps, timeout, reason(why))
		}
		return fmt.Errorf("%w: no answer from %s within %s (last error: %v)", ErrUnreachable, eps, timeout, err)
	}
	return fmt.Errorf("etcd at %s: %w", eps, err)
}
