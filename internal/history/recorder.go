package history

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/confwatch/confwatch/agent/kv"
)

// Recorder keeps every revision committed under a prefix: the content at
// start, then one watch per member (each on a client of its own), so that a
// frozen or killed member delays nothing while another answers. The union of
// the three streams is complete as long as, for every revision, some member
// delivered it before a compaction passed it.
type Recorder struct {
	prefix string
	start  int64
	init   []kv.Pair
	clis   []*clientv3.Client
	wg     sync.WaitGroup
	cancel context.CancelFunc

	mu    sync.Mutex
	revs  map[int64]*Revision
	top   int64 // newest revision any stream delivered
	heard chan struct{}
}

// Record reads the prefix through endpoints and starts watching it from the
// revision read on every member. Close stops it.
func Record(ctx context.Context, endpoints []string, prefix string) (*Recorder, error) {
	r := &Recorder{prefix: prefix, revs: map[int64]*Revision{}, heard: make(chan struct{})}
	for _, ep := range endpoints {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 2 * time.Second,
			Logger: zap.NewNop(), DialKeepAliveTime: 5 * time.Second, DialKeepAliveTimeout: 2 * time.Second})
		if err != nil {
			r.closeClients()
			return nil, fmt.Errorf("recorder client for %s: %w", ep, err)
		}
		r.clis = append(r.clis, cli)
	}
	if err := r.snapshot(ctx); err != nil {
		r.closeClients()
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.top = cancel, r.start
	for _, cli := range r.clis {
		r.wg.Go(func() { r.follow(wctx, cli) })
	}
	return r, nil
}

// snapshot reads the prefix through the first member that answers.
func (r *Recorder) snapshot(ctx context.Context) error {
	var errs []error
	for _, cli := range r.clis {
		gctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		resp, err := cli.Get(gctx, r.prefix, clientv3.WithPrefix())
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.start = resp.Header.Revision
		for _, p := range resp.Kvs {
			r.init = append(r.init, kv.Pair{Key: string(p.Key), Value: string(p.Value)})
		}
		return nil
	}
	return fmt.Errorf("recorder: read %s: %w", r.prefix, errors.Join(errs...))
}

// follow watches through one member from the newest revision it delivered,
// again and again until ctx ends.
func (r *Recorder) follow(ctx context.Context, cli *clientv3.Client) {
	pos := r.start
	for ctx.Err() == nil {
		wch := cli.Watch(clientv3.WithRequireLeader(ctx), r.prefix, clientv3.WithPrefix(), clientv3.WithRev(pos+1))
		for wr := range wch {
			if wr.CompactRevision > 0 {
				pos = max(pos, wr.CompactRevision-1) // the others delivered what this one lost
				break
			}
			if wr.Err() != nil {
				break
			}
			pos = max(pos, r.add(wr.Events))
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// add records the events of one response and returns its newest revision.
func (r *Recorder) add(evs []*clientv3.Event) int64 {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var newest int64
	fresh := map[int64]bool{}
	for _, ev := range evs {
		rev := ev.Kv.ModRevision
		newest = max(newest, rev)
		rv, ok := r.revs[rev]
		if !ok {
			rv = &Revision{Rev: rev, At: now}
			r.revs[rev], fresh[rev] = rv, true
		}
		if fresh[rev] {
			rv.Events = append(rv.Events, Event{Key: string(ev.Kv.Key), Value: string(ev.Kv.Value), Del: ev.Type == clientv3.EventTypeDelete})
		}
	}
	if newest > r.top {
		r.top = newest
		close(r.heard)
		r.heard = make(chan struct{})
	}
	return newest
}

// Top is the newest revision recorded, and a channel closed when a newer one
// arrives.
func (r *Recorder) Top() (int64, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.top, r.heard
}

// WaitFor waits until revision rev was recorded.
func (r *Recorder) WaitFor(ctx context.Context, rev int64) error {
	for {
		top, heard := r.Top()
		if top >= rev {
			return nil
		}
		select {
		case <-heard:
		case <-ctx.Done():
			return fmt.Errorf("recorder at revision %d, waiting for %d: %w", top, rev, ctx.Err())
		}
	}
}

// History returns what was recorded through revision upTo. Every revision
// after the start must have been recorded: etcd numbers revisions without
// gaps and, in these tests, only the prefix is ever written.
func (r *Recorder) History(upTo int64) (History, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := History{Start: r.start, Initial: r.init}
	var missing []int64
	for rev := r.start + 1; rev <= upTo; rev++ {
		rv, ok := r.revs[rev]
		if !ok {
			missing = append(missing, rev)
			continue
		}
		h.Revs = append(h.Revs, *rv)
	}
	if len(missing) > 0 {
		return h, fmt.Errorf("recorder missed %d revisions (first %d) of %d..%d", len(missing), missing[0], r.start+1, upTo)
	}
	return h, nil
}

// Close stops the watches and waits for them.
func (r *Recorder) Close() {
	r.cancel()
	r.wg.Wait()
	r.closeClients()
}

func (r *Recorder) closeClients() {
	for _, c := range r.clis {
		_ = c.Close()
	}
}
