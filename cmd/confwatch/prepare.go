package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

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

// connect builds an etcd client and checks it answers within the dial
// timeout: exitUsage when it cannot be built, exitNoEtcd when etcd did not
// answer (or refused).
func (s *setup) connect(ctx context.Context) (*clientv3.Client, error) {
	cl, err := etcd.Dial(ctx, s.cfg.Etcd)
	if errors.Is(err, etcd.ErrClient) {
		return nil, cli.Exit(err, exitUsage)
	}
	if err != nil {
		return nil, cli.Exit(err, exitNoEtcd)
	}
	return cl, nil
}

// snapshot reads every directory the resources need at one revision. It
// exits with exitNoEtcd when etcd did not answer, exitFailed when it refused.
func (s *setup) snapshot(ctx context.Context, c *clientv3.Client) (*etcd.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Etcd.RequestTimeout.Duration)
	defer cancel()
	snap, err := etcd.Read(ctx, c, s.eng.Dirs())
	if errors.Is(err, etcd.ErrUnreachable) {
		return nil, cli.Exit(fmt.Errorf("etcd: %w", err), exitNoEtcd)
	}
	if err != nil {
		return nil, cli.Exit(fmt.Errorf("etcd: %w", err), exitFailed)
	}
	s.log.Info("read etcd", "revision", snap.Revision, "dirs", len(snap.Dirs))
	return snap, nil
}
