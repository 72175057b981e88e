package register

import (
	"context"
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/etcd"
)

// ErrClient wraps a failure to build the etcd client that retrying cannot
// cure (bad TLS files, wrong credentials).
var ErrClient = errors.New("etcd client")

// RunWith is Run over a client built from cfg: while etcd is unreachable at
// the start it waits (etcd.Connect), logging that once to opts.Log; it
// returns nil when ctx ends first (nothing was registered, so nothing to
// drain), and closes the client when Run returns.
func RunWith(ctx context.Context, cfg config.Etcd, opts Options) error {
	logged := false
	cli, err := etcd.Connect(ctx, cfg, func(err error) {
		if !logged && opts.Log != nil {
			logged = true
			opts.Log.Warn("etcd unreachable; retrying", "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrClient, err)
	}
	if cli == nil {
		return nil
	}
	runErr := Run(ctx, cli, opts)
	if err := cli.Close(); err != nil && !errors.Is(err, context.Canceled) && opts.Log != nil {
		opts.Log.Warn("closing the etcd client", "err", err)
	}
	return runErr
}
