package history

import (
	"fmt"
	"time"

	"github.com/confwatch/confwatch/agent/kv"
)

// Event is one put or delete of a revision.
type Event struct {
	Key, Value string
	Del        bool
}

// Revision is what etcd committed at Rev under the recorded prefix, and when
// the recorder first heard of it (an upper bound of the commit time).
type Revision struct {
	Rev    int64
	At     time.Time
	Events []Event
}

// History is a prefix's whole content at Start and every revision after it,
// oldest first, with no revision missing.
type History struct {
	Start   int64
	Initial []kv.Pair
	Revs    []Revision
}

// Last is the newest revision recorded (Start when none came after it).
func (h History) Last() int64 {
	if len(h.Revs) == 0 {
		return h.Start
	}
	return h.Revs[len(h.Revs)-1].Rev
}

// Replay calls fn with the state at Start, then with the state after each
// revision, in order. fn must not keep or change the tree.
func (h History) Replay(fn func(rev int64, at time.Time, state *kv.Tree) error) error {
	t := kv.NewTree()
	t.Reset(h.Initial)
	if err := fn(h.Start, time.Time{}, t); err != nil {
		return err
	}
	for _, r := range h.Revs {
		for _, e := range r.Events {
			if e.Del {
				t.Delete(e.Key)
			} else {
				t.Put(e.Key, e.Value)
			}
		}
		if err := fn(r.Rev, r.At, t); err != nil {
			return fmt.Errorf("revision %d: %w", r.Rev, err)
		}
	}
	return nil
}

// Final is the state after the last revision.
func (h History) Final() *kv.Tree {
	var out *kv.Tree
	_ = h.Replay(func(_ int64, _ time.Time, t *kv.Tree) error {
		out = t
		return nil
	})
	return out
}
