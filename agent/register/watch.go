package register

import (
	"context"
	"math/rand/v2"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchKey sends every event on key to out until ctx ends. The client's
// watch survives reconnects by itself; when it ends anyway, watchKey opens a
// new one from the next revision, so no event is lost. When that revision was
// compacted it sends nil (events may be missing: the receiver should check
// the key) and watches from now.
func watchKey(ctx context.Context, cli *clientv3.Client, key string, out chan<- []*clientv3.Event) {
	var rev int64 // last revision seen; 0 before the first response
	bo := backoff{min: 100 * time.Millisecond, max: time.Second}
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
			bo.reset()
			rev = wr.Header.Revision // every event up to it has been delivered
			if len(wr.Events) > 0 {
				send(ctx, out, wr.Events)
			}
		}
		cancel()
		sleep(ctx, bo.next())
	}
}

func send[T any](ctx context.Context, out chan<- T, v T) {
	select {
	case out <- v:
	case <-ctx.Done():
	}
}

// backoff is a jittered, capped exponential backoff.
type backoff struct {
	min, max, cur time.Duration
}

// next returns the next wait: between half and all of min, 2*min, ... max.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	return b.cur/2 + rand.N(b.cur/2+1)
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
