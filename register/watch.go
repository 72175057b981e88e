package register

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
)

// watchKey sends every event on key to out until ctx ends. The client's
// watch survives reconnects by itself; when it ends anyway, watchKey opens a
// new one from the next revision, so no event is lost. When that revision was
// compacted it sends nil (events may be missing: the receiver should check
// the key) and watches from now.
func watchKey(ctx context.Context, cli *clientv3.Client, key string, out chan<- []*clientv3.Event) {
	var rev int64 // last revision seen; 0 before the first response
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(ctx)
		opts := []clientv3.OpOption{clientv3.WithCreatedNotify()}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev+1))
		}
		for wr := range cli.Watch(wctx, key, opts...) {
			if wr.CompactRevision != 0 {
				rev = 0
				send(ctx, out, nil)
				break
			}
			if wr.Err() != nil {
				break
			}
			bo.Reset()
			rev = wr.Header.Revision // every event up to it has been delivered
			if len(wr.Events) > 0 {
				send(ctx, out, wr.Events)
			}
		}
		cancel()
		backoff.Sleep(ctx, bo.Next())
	}
}

func send[T any](ctx context.Context, out chan<- T, v T) {
	select {
	case out <- v:
	case <-ctx.Done():
	}
}
