package etcd

import (
	"context"
	"errors"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
	"github.com/confwatch/confwatch/agent/config"
)

// Connect builds a client for a process that starts even when etcd is down
// (the agent, the sidekick): while building the client needs etcd (password
// authentication) and etcd is unreachable, it retries with backoff until ctx
// ends, calling wait after each failure and about every second between tries,
// so the caller can report and keep its watchdog fed. It returns the client;
// nil, nil when ctx ends first; or the error of a failure that retrying cannot
// cure (bad TLS files, wrong credentials), which does not wrap ErrUnreachable.
func Connect(ctx context.Context, cfg config.Etcd, wait func(err error)) (*clientv3.Client, error) {
	bo := backoff.Backoff{Min: 250 * time.Millisecond, Max: 10 * time.Second}
	for n := 0; ; n++ {
		c, err := New(cfg)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrUnreachable) {
			return nil, err
		}
		wait(err)
		for end := time.Now().Add(bo.Step(n)); time.Now().Before(end); {
			select {
			case <-ctx.Done():
				return nil, nil
			case <-time.After(time.Second):
				wait(err)
			}
		}
	}
}
