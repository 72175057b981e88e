package register

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
)

// watchKey sends every event on key to out until ctx ends, keeping pos at
// the revision up to which events were delivered. The client's watch
// survives reconnects by itself; when it ends anyway, watchKey opens a new
// one from the next revision, so no event is lost. When that revision was
// compacted it sends nil (events may be missing: the receiver should check
// the key) and watches from now.
//
// When an etcd answer is behind pos or from another cluster (a watch
// response here, or any other response reported to pos.Seen), or when asked
// to (pos.Check), watchKey reads
// afresh (a linearizable Get, so a lagging member is not mistaken for a
// replaced etcd). When etcd is indeed behind, or another cluster, it sends
// nil and watches from the revision of that read; otherwise it goes on from
// pos.
func watchKey(ctx context.Context, cli *clientv3.Client, key string, pos *position, out chan<- []*clientv3.Event, log *slog.Logger) {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	check := false
	for ctx.Err() == nil {
		if check {
			if err := recheck(ctx, cli, key, pos, out, log); err != nil {
				log.Debug("checking etcd's revision failed, retrying", "err", err)
				backoff.Sleep(ctx, bo.Next())
				continue
			}
			check = false
		}
		if check = watchOnce(ctx, cli, key, pos, out, &bo); !check {
			backoff.Sleep(ctx, bo.Next())
		}
	}
}

// watchOnce runs one watch from pos until it ends, ctx ends, or etcd must
// be checked (then it returns true: a response, or pos.Seen, showed etcd
// behind pos or another cluster).
func watchOnce(ctx context.Context, cli *clientv3.Client, key string, pos *position, out chan<- []*clientv3.Event, bo *backoff.Backoff) bool {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := []clientv3.OpOption{clientv3.WithCreatedNotify()}
	if rev := pos.rev.Load(); rev > 0 {
		opts = append(opts, clientv3.WithRev(rev+1))
	}
	wch := cli.Watch(wctx, key, opts...)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-pos.check:
			if pos.rev.Load() > 0 {
				return true
			}
		case wr, ok := <-wch:
			switch {
			case !ok:
				return false
			case wr.CompactRevision != 0:
				pos.set(0, 0)
				send(ctx, out, nil)
				return false
			case wr.Err() != nil:
				return false
			case pos.behind(wr.Header.Revision, wr.Header.ClusterId):
				return true
			}
			bo.Reset()
			pos.set(wr.Header.Revision, wr.Header.ClusterId) // every event up to it has been delivered
			if len(wr.Events) > 0 {
				send(ctx, out, wr.Events)
			}
		}
	}
}

// recheck reads key afresh. When etcd is behind pos or another cluster, it
// moves pos to the read's revision and cluster, and sends nil: events may
// be missing, and the watch goes on from there.
func recheck(ctx context.Context, cli *clientv3.Client, key string, pos *position, out chan<- []*clientv3.Event, log *slog.Logger) error {
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	g, err := cli.Get(gctx, key, clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	h := g.Header
	if !pos.behind(h.Revision, h.ClusterId) {
		return nil
	}
	log.Warn("etcd is behind the watched revision or another cluster (replaced, or restored from a backup?): checking the key and watching from now",
		"watched", pos.rev.Load(), "revision", h.Revision, "cluster", fmt.Sprintf("%x", h.ClusterId))
	pos.rev.Store(h.Revision)
	pos.cluster.Store(h.ClusterId)
	send(ctx, out, nil)
	return nil
}

func send[T any](ctx context.Context, out chan<- T, v T) {
	select {
	case out <- v:
	case <-ctx.Done():
	}
}
