package etcd

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/kv"
)

// Range returns the key range [start, end) that holds directory dir: the key
// dir itself and every key under dir+"/". The range also holds siblings such
// as dir+"-x" ('-' sorts before '/'); kv.Contains filters those out.
func Range(dir string) (start, end string) {
	if dir == "/" {
		return "/", "0" // '0' is the byte after '/'
	}
	return dir, dir + "0"
}

// Entry is one key read from etcd, with the revision it last changed at.
type Entry struct {
	Key, Value     string
	ModRevision    int64
	CreateRevision int64
}

// Snapshot is the content of several directories at one revision.
type Snapshot struct {
	Revision int64
	Dirs     map[string][]Entry // by directory, in key order
}

// Trees is a snapshot as one kv.Tree per directory: the engine's Source.
type Trees struct {
	Rev   int64
	Trees map[string]*kv.Tree
}

// Revision is the revision every tree was read at.
func (t *Trees) Revision() int64 { return t.Rev }

// Tree returns the tree of dir, empty when dir was not read.
func (t *Trees) Tree(dir string) *kv.Tree {
	if tr, ok := t.Trees[dir]; ok {
		return tr
	}
	return kv.NewTree()
}

// Trees converts the snapshot for rendering.
func (s *Snapshot) Trees() *Trees {
	out := &Trees{Rev: s.Revision, Trees: make(map[string]*kv.Tree, len(s.Dirs))}
	for d := range s.Dirs {
		t := kv.NewTree()
		t.Reset(s.Pairs(d))
		out.Trees[d] = t
	}
	return out
}

// Pairs returns the keys and values of directory dir, in key order (none
// when dir was not read).
func (s *Snapshot) Pairs(dir string) []kv.Pair {
	es := s.Dirs[dir]
	pairs := make([]kv.Pair, len(es))
	for i, e := range es {
		pairs[i] = kv.Pair{Key: e.Key, Value: e.Value}
	}
	return pairs
}

// Read reads every directory in one transaction, so all come from one
// revision.
func Read(ctx context.Context, cli *clientv3.Client, dirs []string) (*Snapshot, error) {
	ops := make([]clientv3.Op, len(dirs))
	for i, d := range dirs {
		start, end := Range(d)
		ops[i] = clientv3.OpGet(start, clientv3.WithRange(end))
	}
	resp, err := cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, fmt.Errorf("read %v: %w", dirs, err)
	}
	snap := &Snapshot{Revision: resp.Header.Revision, Dirs: make(map[string][]Entry, len(dirs))}
	for i, r := range resp.Responses {
		d := dirs[i]
		var es []Entry
		for _, k := range r.GetResponseRange().Kvs {
			if key := string(k.Key); kv.Contains(d, key) {
				es = append(es, Entry{Key: key, Value: string(k.Value), ModRevision: k.ModRevision, CreateRevision: k.CreateRevision})
			}
		}
		snap.Dirs[d] = es
	}
	return snap, nil
}
