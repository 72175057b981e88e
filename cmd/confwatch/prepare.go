package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

// setup is what every etcd-reading command needs: configuration, resources
// with parsed templates, and an engine.
type setup struct {
	*loaded
	eng      *engine.Engine
	reloaded bool // built by a configuration reload (SIGHUP)
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
	res, probs := resource.LoadAll(resource.Options{ConfDir: l.cfg.ConfDir, Prefix: l.cfg.Etcd.Prefix})
	for _, p := range probs.Warnings() {
		l.log.Warn(p.Error())
	}
	if err := probs.Err(); err != nil {
		return nil, cli.Exit(err, exitUsage)
	}
	opts := engine.Options{Log: l.log, Noop: l.cfg.Noop, SyncOnly: l.cfg.SyncOnly, Force: force,
		State: &state.Store{Dir: l.cfg.StateDir}}
	if reloaders != nil {
		opts.Reloaders = reloaders(l)
	}
	if l.cfg.Noop || readOnly {
		opts.State.Dir, opts.State.ReadOnly = l.cfg.StateDir, true
	} else if err := opts.State.Writable(); err != nil {
		l.log.Warn("state directory not writable: guards compare with this process's memory only", "dir", l.cfg.StateDir, "err", err)
		opts.State.Dir = ""
	}
	eng, probs := engine.New(res, opts)
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

// connectLazy builds a client for the agent, which starts even when etcd is
// down: when building the client needs etcd (password authentication), it
// retries with backoff until ctx ends, calling wait between tries so the
// caller can report and keep its watchdog fed. Other errors (bad TLS files,
// wrong credentials) end the agent.
func (s *setup) connectLazy(ctx context.Context, wait func(err error)) (*clientv3.Client, error) {
	return connectRetrying(ctx, s.cfg.Etcd, wait)
}

// connectRetrying builds a client, retrying while etcd is unreachable (see
// connectLazy); it returns nil, nil when ctx ends first.
func connectRetrying(ctx context.Context, cfg config.Etcd, wait func(err error)) (*clientv3.Client, error) {
	delay := 250 * time.Millisecond
	for {
		c, err := etcd.New(cfg)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, etcd.ErrUnreachable) {
			return nil, cli2exit(err, exitUsage)
		}
		wait(err)
		for end := time.Now().Add(delay); time.Now().Before(end); {
			select {
			case <-ctx.Done():
				return nil, nil
			case <-time.After(time.Second):
				wait(err)
			}
		}
		delay = min(2*delay, 10*time.Second)
	}
}
