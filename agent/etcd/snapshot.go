package etcd

import (
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
	Errs     map[string]error   // directories that could not be read (permission denied), and why
}

// Err is why dir could not be read, nil when it was (or was not asked for).
func (s *Snapshot) Err(dir string) error { return s.Errs[dir] }

// Trees is a snapshot as one kv.Tree per directory: the engine's Source.
type Trees struct {
	Rev   int64
	Trees map[string]*kv.Tree
	Errs  map[string]error // see Snapshot.Errs
}

// Err is why dir could not be read, nil when it was.
func (t *Trees) Err(dir string) error { return t.Errs[dir] }

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
	out := &Trees{Rev: s.Revision, Trees: make(map[string]*kv.Tree, len(s.Dirs)), Errs: s.Errs}
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
