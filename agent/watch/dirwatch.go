package watch

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"

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
	// members, when set, restarts the watch on each new generation and
	// tells a stalled stream from a cluster that does not answer.
	members *etcd.Members
	// nudge asks for a progress request on this watch's own stream.
	nudge chan struct{}
	// stalls records this watch stalled until a new stream answers (nil:
	// not recorded).
	stalls *stallSet
}

func (w *dirWatcher) run(ctx context.Context, rev int64) {
	bo := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		last, err := w.watchFrom(ctx, rev)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRestart) {
			rev = max(rev, last) // a new stream from where this one was
			bo.Reset()
			continue
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
		if errors.Is(err, rpctypes.ErrCompacted) || errors.Is(err, errBehind) {
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

// errRestart ends a watch to be opened again at once on a new gRPC stream:
// the member set changed or the stream stalled.
var errRestart = errors.New("watch restarted on a new stream")

// errBehind ends a watch whose etcd is at a revision below the watch's: the
// directory is listed again.
var errBehind = errors.New("etcd is behind the watch")

// serverRevision asks etcd, bounded, for its current revision (a count-only
// read of the directory); ok is false when it did not answer.
func (w *dirWatcher) serverRevision(ctx context.Context) (int64, bool) {
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	start, end := etcd.Range(w.dir)
	resp, err := w.cli.Get(rctx, start, clientv3.WithRange(end), clientv3.WithCountOnly())
	if err != nil {
		return 0, false
	}
	return resp.Header.Revision, true
}

// streamSeq numbers every watch this process opens: each carries its number
// as outgoing metadata, so clientv3 gives it a gRPC stream of its own rather
// than queueing it on an older stream that may be stuck on a frozen member
// (clientv3 keys watch streams by the context's metadata).
var streamSeq atomic.Uint64

// Stall detection: after quietAfter without any answer the watch asks for
// progress on its own stream; without an answer stallAfter later, while some
// member answers, the stream is stuck and the watch restarts.
const (
	quietAfter = time.Second
	stallAfter = 1500 * time.Millisecond
	stallTick  = 250 * time.Millisecond
)

// watchFrom watches for the revisions after rev until the channel ends, the member set
// changes or the stream stalls (errRestart); it returns the revision the
// directory is known current through and why it ended.
func (w *dirWatcher) watchFrom(ctx context.Context, rev int64) (int64, error) {
	var changed <-chan struct{}
	if w.members != nil {
		_, changed = w.members.Changed()
	}
	md := metadata.AppendToOutgoingContext(clientv3.WithRequireLeader(ctx), "confwatch-watch", strconv.FormatUint(streamSeq.Add(1), 10))
	wctx, cancel := context.WithCancel(md)
	var pwg sync.WaitGroup
	defer pwg.Wait()
	defer cancel()
	start, end := etcd.Range(w.dir)
	// The watch opens AT rev, a revision the server has, and drops the events of
	// rev itself (already applied): etcd >= 3.5 never answers a progress request
	// for a watch whose start revision is ahead of its own (watchableStore.
	// progressIfSync), so a watch opened at rev+1 on an idle cluster would look
	// stalled every few seconds.
	from := rev
	wch := w.cli.Watch(wctx, start, clientv3.WithRange(end), clientv3.WithRev(max(from, 1)), clientv3.WithProgressNotify())
	tick := time.NewTicker(stallTick)
	defer tick.Stop()
	heard, asked := time.Now(), time.Time{}
	ask := func() {
		asked = time.Now()
		pwg.Go(func() {
			rctx, cancel := context.WithTimeout(wctx, time.Second)
			defer cancel()
			if err := w.cli.RequestProgress(rctx); err != nil {
				w.log.Debug("progress request failed", "dir", w.dir, "err", err)
			}
		})
	}
	for {
		select {
		case <-ctx.Done():
			return rev, ctx.Err()
		case <-changed:
			w.log.Debug("etcd members changed: watching on a new stream", "dir", w.dir, "from", rev+1)
			return rev, errRestart
		case <-w.nudge:
			ask()
			continue
		case now := <-tick.C:
			switch {
			case now.Sub(heard) < quietAfter:
			case asked.IsZero() || asked.Before(heard):
				ask()
			case now.Sub(asked) >= stallAfter && (w.members == nil || w.members.Answering()):
				if cur, ok := w.serverRevision(wctx); ok && cur < rev {
					// etcd answers from a revision below the one this watch is current
					// through: it was replaced (restored from a backup, rebuilt). A watch
					// there waits for revisions that will never be; list again.
					w.log.Warn("etcd is behind this watch: replaced or restored? listing again",
						"dir", w.dir, "etcd_revision", cur, "watched_from", rev+1)
					return rev, errBehind
				}
				w.log.Warn("watch stalled: no answer to a progress request; watching on a new stream",
					"dir", w.dir, "from", rev+1, "waited", now.Sub(asked).Round(time.Millisecond))
				w.stalls.set(w.dir, asked)
				return rev, errRestart
			}
			continue
		case wr, ok := <-wch:
			if !ok {
				return rev, errors.New("watch channel closed")
			}
			if err := wr.Err(); err != nil {
				return rev, err
			}
			heard = time.Now()
			w.stalls.clear(w.dir)
			u := update{dir: w.dir, rev: wr.Header.Revision, progress: true}
			if !wr.IsProgressNotify() && len(wr.Events) > 0 {
				u = responseUpdate(w.dir, after(from, wr.Events))
				u.rev = max(u.rev, from)
				if len(u.events) == 0 {
					u.progress = true // only siblings such as /services/apache-x changed
				}
			}
			select {
			case w.out <- u:
				rev = max(rev, u.rev)
			case <-ctx.Done():
				return rev, ctx.Err()
			}
		}
	}
}

// after drops the events at or before rev: the replay of the revision a
// watch was opened at.
func after(rev int64, evs []*clientv3.Event) []*clientv3.Event {
	i := 0
	for i < len(evs) && evs[i].Kv.ModRevision <= rev {
		i++
	}
	return evs[i:]
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
