package watch

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/kv"
)

// update is one change to one directory's tree: a full replacement (Reset)
// after a list, or the events of one watch response.
type update struct {
	dir   string
	rev   int64
	reset bool
	pairs []kv.Pair // reset: the whole content; else the puts
	dels  []string
	// progress: no change, but the directory is known current through rev
	// (a progress notification).
	progress bool
}

// dirWatcher keeps one directory's watch running from rev+1, re-listing on
// compaction, a lost leader or a closed channel.
type dirWatcher struct {
	cli *clientv3.Client
	dir string
	log *slog.Logger
	out chan<- update
	rt  time.Duration // bound on a list request
}

func (w *dirWatcher) run(ctx context.Context, rev int64) {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		err := w.watchFrom(ctx, rev)
		if ctx.Err() != nil {
			return
		}
		w.log.Debug("watch ended, listing again", "dir", w.dir, "err", err)
		for ctx.Err() == nil {
			r, lerr := w.list(ctx)
			if lerr == nil {
				rev = r
				bo.Reset()
				break
			}
			w.log.Debug("list failed", "dir", w.dir, "err", lerr)
			if !backoff.Sleep(ctx, bo.Next()) {
				return
			}
		}
		if errors.Is(err, rpctypes.ErrCompacted) {
			continue // re-listed: watch at once
		}
		if !backoff.Sleep(ctx, bo.Next()) {
			return
		}
	}
}

// list reads the whole directory and sends it as a reset; it returns the
// revision read at.
func (w *dirWatcher) list(ctx context.Context) (int64, error) {
	lctx, cancel := context.WithTimeout(ctx, w.rt)
	defer cancel()
	snap, err := etcd.Read(lctx, w.cli, []string{w.dir})
	if err != nil {
		return 0, err
	}
	pairs := make([]kv.Pair, 0, len(snap.Dirs[w.dir]))
	for _, e := range snap.Dirs[w.dir] {
		pairs = append(pairs, kv.Pair{Key: e.Key, Value: e.Value})
	}
	select {
	case w.out <- update{dir: w.dir, rev: snap.Revision, reset: true, pairs: pairs}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return snap.Revision, nil
}

// watchFrom watches from rev+1 until the channel ends; it returns why.
func (w *dirWatcher) watchFrom(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	start, end := etcd.Range(w.dir)
	wch := w.cli.Watch(wctx, start, clientv3.WithRange(end), clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
	for wr := range wch {
		if err := wr.Err(); err != nil {
			return err
		}
		if wr.IsProgressNotify() || len(wr.Events) == 0 {
			select {
			case w.out <- update{dir: w.dir, rev: wr.Header.Revision, progress: true}:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		u := update{dir: w.dir, rev: wr.Header.Revision}
		for _, ev := range wr.Events {
			k := string(ev.Kv.Key)
			if !kv.Contains(w.dir, k) {
				continue
			}
			if ev.Type == clientv3.EventTypeDelete {
				u.dels = append(u.dels, k)
			} else {
				u.pairs = append(u.pairs, kv.Pair{Key: k, Value: string(ev.Kv.Value)})
			}
		}
		if len(u.pairs)+len(u.dels) == 0 {
			continue // only siblings such as /services/apache-x changed
		}
		select {
		case w.out <- u:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.New("watch channel closed")
}
