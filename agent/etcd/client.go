// Package etcd connects to etcd v3 and reads consistent snapshots of key
// directories: every directory a render needs is read in one transaction, so
// all of them come from one revision.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/agent/config"
)

// ErrUnreachable is wrapped when no endpoint answered in time.
var ErrUnreachable = errors.New("etcd unreachable")

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
	}
	if c.CertFile != "" || c.CAFile != "" {
		info := transport.TLSInfo{CertFile: c.CertFile, KeyFile: c.KeyFile, TrustedCAFile: c.CAFile}
		tlsCfg, err := info.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
		cfg.TLS = tlsCfg
	}
	cli, err := clientv3.New(cfg)
	if errors.Is(err, context.DeadlineExceeded) {
		// With a username, New authenticates at once and so needs etcd.
		return nil, fmt.Errorf("%w: no answer from %s within %s while authenticating", ErrUnreachable, config.Redact(strings.Join(c.Endpoints, ",")), c.DialTimeout.Duration)
	}
	if err != nil {
		return nil, fmt.Errorf("etcd client for %s: %w", config.Redact(strings.Join(c.Endpoints, ",")), err)
	}
	return cli, nil
}

// Probe checks within timeout that etcd answers a read. The error names the
// endpoints and wraps ErrUnreachable on a timeout.
func Probe(ctx context.Context, cli *clientv3.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := cli.Get(ctx, "/", clientv3.WithCountOnly(), clientv3.WithLimit(1))
	if err == nil || errors.Is(err, rpctypes.ErrPermissionDenied) {
		return nil // it answered: a user who may not read "/" is fine
	}
	eps := config.Redact(strings.Join(cli.Endpoints(), ","))
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no answer from %s within %s (last error: %v)", ErrUnreachable, eps, timeout, err)
	}
	return fmt.Errorf("etcd at %s: %w", eps, err)
}
