package engine

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"

	"github.com/confwatch/confwatch/agent/apply"
)

// failures remembers each group's last failed apply, so that a retry of the
// same files failing the same way (a broken check retried with backoff) is
// logged at debug level: each distinct failure is logged once.
type failures struct {
	mu   sync.Mutex
	last map[string]failure // by group
}

type failure struct {
	sum [sha256.Size]byte // of the items' names and data
	err string
}

// sum digests what an apply of items would write.
func sum(items []apply.Item) [sha256.Size]byte {
	h := sha256.New()
	for _, it := range items {
		h.Write([]byte(it.Name))
		h.Write([]byte{0})
		h.Write(it.Data)
		h.Write([]byte{0})
	}
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

// retry reports whether items are what group g last failed to apply.
func (f *failures) retry(g string, s [sha256.Size]byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	last, ok := f.last[g]
	return ok && last.sum == s
}

// record notes the outcome of applying items with digest s (err "" for
// success) and reports whether it repeats the last failure exactly.
func (f *failures) record(g string, s [sha256.Size]byte, err string) (repeat bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		f.last = map[string]failure{}
	}
	if err == "" {
		delete(f.last, g)
		return false
	}
	last, ok := f.last[g]
	f.last[g] = failure{sum: s, err: err}
	return ok && last == f.last[g]
}

// apply runs grp's transaction and reports whether it failed exactly as the
// last one recorded under key did; the applier's lines of such a retry (the
// same files again) are logged at debug level, saying only what is new.
func (e *Engine) apply(ctx context.Context, key string, grp apply.Group) (apply.Outcome, bool) {
	digest := sum(grp.Items)
	applier := e.applier
	if e.fails.retry(key, digest) {
		quiet := *e.applier
		quiet.Log = slog.New(debugHandler{e.opts.Log.Handler()})
		applier = &quiet
	}
	o := applier.Apply(ctx, grp)
	errText := ""
	if err := o.Err(); err != nil {
		errText = err.Error()
	}
	return o, e.fails.record(key, digest, errText)
}

// debugHandler logs every record at debug level: the applier's lines on a
// retry of a failed apply.
type debugHandler struct{ h slog.Handler }

func (d debugHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return d.h.Handle(ctx, r)
}

func (d debugHandler) WithAttrs(as []slog.Attr) slog.Handler { return debugHandler{d.h.WithAttrs(as)} }
func (d debugHandler) WithGroup(n string) slog.Handler       { return debugHandler{d.h.WithGroup(n)} }
