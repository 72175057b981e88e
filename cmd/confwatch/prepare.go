package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
)

// setup is what every etcd-reading command needs: configuration, resources
// with parsed templates, and an engine.
type setup struct {
	*loaded
	eng *engine.Engine
}

// prepare loads configuration, resources and templates; any error in them is
// an exit with exitUsage and every problem printed.
func prepare(c *cli.Context, force bool, reloaders func(*loaded) engine.ReloaderFunc) (*setup, error) {
	return prepareMode(c, force, false, reloaders)
}

// prepareMode is prepare; readOnly (plan) reads state_dir but never creates
// or writes it.
func prepareMode(c *cli.Context, force, readOnly bool, reloaders func(*loaded) engine.ReloaderFunc) (*setup, error) {
	l, err := loadConfig(c)
	if err != nil {
		return nil, err
	}
	opts := engine.Options{Log: l.log, Force: force}
	if reloaders != nil {
		opts.Reloaders = reloaders(l)
	}
	eng, probs := engine.Load(l.cfg, readOnly, opts)
	if err := probs.Err(); err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	return &setup{loaded: l, eng: eng}, nil
}

// connect builds an etcd client and checks it answers within the dial timeout.
func (s *setup) connect(ctx context.Context) (*clientv3.Client, error) {
	cli, err := etcd.New(s.cfg.Etcd)
	if errors.Is(err, etcd.ErrUnreachable) {
		return nil, cli2exit(err, exitNoEtcd)
	}
	if err != nil {
		return nil, cli2exit(err, exitUsage)
	}
	if err := etcd.Probe(ctx, cli, s.cfg.Etcd.DialTimeout.Duration); err != nil {
		_ = cli.Close()
		return nil, cli2exit(err, exitNoEtcd)
	}
	return cli, nil
}

// snapshot reads every directory the resources need at one revision. It
// exits with exitNoEtcd when etcd did not answer, exitFailed when it refused.
func (s *setup) snapshot(ctx context.Context, c *clientv3.Client) (*etcd.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Etcd.RequestTimeout.Duration)
	defer cancel()
	snap, err := etcd.Read(ctx, c, s.eng.Dirs())
	if errors.Is(err, etcd.ErrUnreachable) {
		return nil, cli2exit(fmt.Errorf("etcd: %w", err), exitNoEtcd)
	}
	if err != nil {
		return nil, cli2exit(fmt.Errorf("etcd: %w", err), exitFailed)
	}
	s.log.Info("read etcd", "revision", snap.Revision, "dirs", len(snap.Dirs))
	return snap, nil
}

func cli2exit(err error, code int) error { return cli.Exit(err, code) }

// connectRetrying is etcd.Connect for a command: a failure that retrying
// cannot cure is a usage error.
func connectRetrying(ctx context.Context, cfg config.Etcd, wait func(err error)) (*clientv3.Client, error) {
	c, err := etcd.Connect(ctx, cfg, wait)
	if err != nil {
		return nil, cli2exit(err, exitUsage)
	}
	return c, nil
}
