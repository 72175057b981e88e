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
// after a list, or the events of one watch response in revision order.
type update struct {
	dir    string
	rev    int64 // the directory is known current through rev
	reset  bool
	pairs  []kv.Pair // reset: the whole content
	err    error     // reset: why the directory could not be read (pairs is then empty)
	events []event   // not reset: puts and deletes, oldest first
	// progress: no change, but the directory is known current through rev
	// (a progress notification).
	progress bool
}

// event is one put or delete of a watch response.
type event struct {
	key, value string
	del        bool
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
// revision read at. A directory the user may not read is sent as a reset
// carrying that error, and list returns the error too: the watcher then
// re-lists with a growing backoff instead of watching (a watch would be
// refused at once, over and over).
func (w *dirWatcher) list(ctx context.Context) (int64, error) {
	lctx, cancel := context.WithTimeout(ctx, w.rt)
	defer cancel()
	snap, err := etcd.Read(lctx, w.cli, []string{w.dir})
	if err != nil {
		return 0, err
	}
	derr := snap.Err(w.dir)
	select {
	case w.out <- update{dir: w.dir, rev: snap.Revision, reset: true, pairs: snap.Pairs(w.dir), err: derr}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return snap.Revision, derr
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
		u := responseUpdate(w.dir, wr.Events)
		if len(u.events) == 0 {
			u.progress = true // only siblings such as /services/apache-x changed
		}
		select {
		case w.out <- u:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.New("watch channel closed")
}

// responseUpdate turns the events of one watch response into an update of
// dir, keeping etcd's order: a key put, deleted and put again within one
// response (a catch-up after a reconnect) ends up put. The directory is
// current through the newest event's revision, not the header's: a catch-up
// response carries the server's current revision in its header while later
// batches of older events may still follow.
func responseUpdate(dir string, evs []*clientv3.Event) update {
	u := update{dir: dir}
	for _, ev := range evs {
		u.rev = max(u.rev, ev.Kv.ModRevision)
		k := string(ev.Kv.Key)
		if !kv.Contains(dir, k) {
			continue
		}
		e := event{key: k, del: ev.Type == clientv3.EventTypeDelete}
		if !e.del {
			e.value = string(ev.Kv.Value)
		}
		u.events = append(u.events, e)
	}
	return u
}

// counts reports how many of u's events are puts and deletes.
func (u update) counts() (puts, dels int) {
	for _, e := range u.events {
		if e.del {
			dels++
		} else {
			puts++
		}
	}
	return puts, dels
}
