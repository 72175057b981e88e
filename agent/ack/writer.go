package ack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/backoff"
	"github.com/confwatch/confwatch/agent/engine"
)

// DefaultTTL is the announcement lease's TTL when none is given.
const DefaultTTL = 10 * time.Second

// opTimeout bounds one grant, put or keep-alive.
const opTimeout = 2 * time.Second

// WriterOptions configure a Writer.
type WriterOptions struct {
	Prefix, Name string
	TTL          time.Duration // whole seconds; 0: DefaultTTL
	Log          *slog.Logger
}

// Writer keeps one agent's announcement in etcd: PREFIX/NAME under a lease
// of its own, rewritten after every transaction the agent finishes.
// Applied and Resources may be called from any goroutine and never block;
// Run does the writing. The lease outlives a Run (a configuration reload
// runs the next one with a new client on the same lease) and is never
// revoked: a stopped agent's last announcement (its nginx goes on serving
// that configuration) stays until the lease's TTL ends.
type Writer struct {
	o    WriterOptions
	wake chan struct{}

	mu    sync.Mutex
	book  Book
	dirty bool // the book changed since the last put

	lease clientv3.LeaseID // used by Run only
}

// NewWriter returns a Writer; o.Prefix and o.Name must be set (see CheckName).
func NewWriter(o WriterOptions) *Writer {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Writer{o: o, wake: make(chan struct{}, 1)}
}

// Key is the key the writer keeps.
func (w *Writer) Key() string { return Key(w.o.Prefix, w.o.Name) }

// Applied takes one transaction's results; Run announces them.
func (w *Writer) Applied(sts []engine.Result) {
	w.mu.Lock()
	w.book.Take(sts, time.Now())
	w.dirty = true
	w.mu.Unlock()
	w.poke()
}

// Current takes the news that dir is current through rev with nothing to
// apply (see Book.Advance); Run announces it when it moves a revision.
func (w *Writer) Current(dir string, rev int64) {
	w.mu.Lock()
	moved := w.book.Advance(dir, rev)
	w.dirty = w.dirty || moved
	w.mu.Unlock()
	if moved {
		w.poke()
	}
}

// Resources forgets the resources a configuration reload dropped.
func (w *Writer) Resources(names []string) {
	w.mu.Lock()
	w.book.Keep(names)
	w.mu.Unlock()
}

func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pending returns the record to put, if the book changed since the last put.
func (w *Writer) pending() ([]byte, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.dirty {
		return nil, false
	}
	w.dirty = false
	return w.book.Record(w.o.Name, time.Now()).Marshal(), true
}

// redo marks the book as not yet written (a put failed).
func (w *Writer) redo() {
	w.mu.Lock()
	w.dirty = true
	w.mu.Unlock()
}

// Run writes the announcement with cli until ctx ends: each change once
// (changes during a put are folded into the next), the lease renewed every
// TTL/3 and granted anew when etcd says it is gone (the record is then
// written again). Failures are retried with backoff; it returns when ctx
// ends, leaving the lease to expire unless a later Run renews it.
func (w *Writer) Run(ctx context.Context, cli *clientv3.Client) {
	bo := backoff.Backoff{Min: 200 * time.Millisecond, Max: 5 * time.Second}
	renew := time.NewTimer(w.o.TTL / 3)
	defer renew.Stop()
	var retry <-chan time.Time
	last := "" // the last failure logged: each distinct one once
	for {
		select {
		case <-ctx.Done():
			w.last(ctx, cli)
			return
		case <-w.wake:
		case <-renew.C:
			renew.Reset(w.o.TTL / 3)
			if err := w.keepAlive(ctx, cli); err != nil && ctx.Err() == nil {
				w.o.Log.Debug("announcement lease: keep-alive failed, retrying soon", "key", w.Key(), "err", err)
				renew.Reset(min(500*time.Millisecond, w.o.TTL/6))
			}
		case <-retry:
			retry = nil
		}
		if retry != nil {
			continue
		}
		if err := w.flush(ctx, cli); err != nil && ctx.Err() == nil {
			if msg := err.Error(); msg != last {
				last = msg
				w.o.Log.Warn("cannot announce what was applied; retrying", "key", w.Key(), "err", err)
			}
			retry = time.After(bo.Next())
			continue
		}
		if last != "" {
			last = ""
			w.o.Log.Info("announcing again", "key", w.Key())
		}
		bo.Reset()
	}
}

// last makes one bounded attempt to put what the final transactions of a
// stopping agent changed.
func (w *Writer) last(ctx context.Context, cli *clientv3.Client) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	if err := w.flush(fctx, cli); err != nil {
		w.o.Log.Warn("cannot announce the last apply", "key", w.Key(), "err", err)
	}
}

// flush puts the record when it changed, granting a lease first if needed.
func (w *Writer) flush(ctx context.Context, cli *clientv3.Client) error {
	val, ok := w.pending()
	if !ok {
		return nil
	}
	if err := w.put(ctx, cli, val); err != nil {
		w.redo()
		return err
	}
	return nil
}

func (w *Writer) put(ctx context.Context, cli *clientv3.Client, val []byte) error {
	for try := 0; ; try++ {
		if w.lease == 0 {
			if err := w.grant(ctx, cli); err != nil {
				return err
			}
		}
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		_, err := cli.Put(octx, w.Key(), string(val), clientv3.WithLease(w.lease))
		cancel()
		if err == nil {
			w.o.Log.Debug("announced", "key", w.Key(), "lease", fmt.Sprintf("%016x", int64(w.lease)))
			return nil
		}
		if try > 0 || !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return fmt.Errorf("put %s: %w", w.Key(), err)
		}
		w.lease = 0
	}
}

func (w *Writer) grant(ctx context.Context, cli *clientv3.Client) error {
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	g, err := cli.Grant(octx, int64(w.o.TTL/time.Second))
	if err != nil {
		return fmt.Errorf("grant the announcement lease: %w", err)
	}
	w.lease = g.ID
	return nil
}

// keepAlive renews the lease once; a lease etcd no longer has is dropped and
// the record marked for writing again, under a new one.
func (w *Writer) keepAlive(ctx context.Context, cli *clientv3.Client) error {
	if w.lease == 0 {
		return nil
	}
	octx, cancel := context.WithTimeout(ctx, min(opTimeout, w.o.TTL/6+time.Millisecond))
	defer cancel()
	_, err := cli.KeepAliveOnce(octx, w.lease)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		w.o.Log.Warn("announcement lease expired; announcing again", "key", w.Key())
		w.lease = 0
		w.redo()
		return nil
	}
	return err
}
