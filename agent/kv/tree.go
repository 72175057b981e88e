package kv

import (
	"path"
	"sort"
	"strings"
)

// Pair is one key and its value, the `{Key, Value}` confd's get and gets return.
type Pair struct {
	Key   string
	Value string
}

// Store is the read-only view templates use.
//
// Get reports the value of exactly key. Scan calls fn for every key that starts
// with prefix, in ascending key order, until fn returns false. Implementations
// must not be mutated while a Scan runs.
type Store interface {
	Get(key string) (string, bool)
	Scan(prefix string, fn func(key, value string) bool)
}

// Tree is a sorted map of keys to values. Put of an existing key costs a map
// write; inserting or deleting a key also moves the sorted key slice (a
// memmove, cheap up to millions of keys). Not safe for concurrent use.
type Tree struct {
	m    map[string]string
	keys []string // sorted
	vals []string // vals[i] is the value of keys[i]
	odd  int      // keys that are not clean paths (see Odd)
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{m: map[string]string{}} }

// Odd reports how many keys are not clean paths ("/k//dbl", "/k/trail/",
// "/a/./b"): confd shows those to templates cleaned (see View).
func (t *Tree) Odd() int { return t.odd }

func oddKey(k string) int {
	if k != "/" && path.Clean(k) != k {
		return 1
	}
	return 0
}

// Len reports the number of keys.
func (t *Tree) Len() int { return len(t.keys) }

// Get reports the value stored for key.
func (t *Tree) Get(key string) (string, bool) {
	v, ok := t.m[key]
	return v, ok
}

// Put sets key to value and reports whether the tree changed.
func (t *Tree) Put(key, value string) bool {
	old, ok := t.m[key]
	if ok && old == value {
		return false
	}
	t.m[key] = value
	i := sort.SearchStrings(t.keys, key)
	if ok {
		t.vals[i] = value
		return true
	}
	t.odd += oddKey(key)
	t.keys = append(t.keys, "")
	copy(t.keys[i+1:], t.keys[i:])
	t.keys[i] = key
	t.vals = append(t.vals, "")
	copy(t.vals[i+1:], t.vals[i:])
	t.vals[i] = value
	return true
}

// Delete removes key and reports whether it was present.
func (t *Tree) Delete(key string) bool {
	if _, ok := t.m[key]; !ok {
		return false
	}
	delete(t.m, key)
	t.odd -= oddKey(key)
	i := sort.SearchStrings(t.keys, key)
	t.keys = append(t.keys[:i], t.keys[i+1:]...)
	t.vals = append(t.vals[:i], t.vals[i+1:]...)
	return true
}

// Reset replaces the whole content with pairs (which need not be sorted;
// etcd's key order takes a faster path).
func (t *Tree) Reset(pairs []Pair) {
	t.reset(pairs)
	t.odd = 0
	for _, k := range t.keys {
		t.odd += oddKey(k)
	}
}

func (t *Tree) reset(pairs []Pair) {
	if sortedUnique(pairs) {
		t.m = make(map[string]string, len(pairs))
		t.keys = make([]string, len(pairs))
		t.vals = make([]string, len(pairs))
		for i, p := range pairs {
			t.m[p.Key], t.keys[i], t.vals[i] = p.Value, p.Key, p.Value
		}
		return
	}
	t.m = make(map[string]string, len(pairs))
	t.keys = make([]string, 0, len(pairs))
	for _, p := range pairs {
		if _, dup := t.m[p.Key]; !dup {
			t.keys = append(t.keys, p.Key)
		}
		t.m[p.Key] = p.Value
	}
	sort.Strings(t.keys)
	t.vals = make([]string, len(t.keys))
	for i, k := range t.keys {
		t.vals[i] = t.m[k]
	}
}

// Scan calls fn for each key with the given prefix, in key order.
func (t *Tree) Scan(prefix string, fn func(key, value string) bool) {
	for i := sort.SearchStrings(t.keys, prefix); i < len(t.keys); i++ {
		k := t.keys[i]
		if !strings.HasPrefix(k, prefix) {
			return
		}
		if !fn(k, t.vals[i]) {
			return
		}
	}
}

// Pairs returns every pair in key order.
func (t *Tree) Pairs() []Pair {
	out := make([]Pair, len(t.keys))
	for i, k := range t.keys {
		out[i] = Pair{k, t.vals[i]}
	}
	return out
}

// Same reports whether the tree holds exactly pairs (in any order, no
// duplicates).
func (t *Tree) Same(pairs []Pair) bool {
	if len(pairs) != len(t.keys) {
		return false
	}
	for _, p := range pairs {
		if v, ok := t.m[p.Key]; !ok || v != p.Value {
			return false
		}
	}
	return true
}

func sortedUnique(pairs []Pair) bool {
	for i := 1; i < len(pairs); i++ {
		if pairs[i-1].Key >= pairs[i].Key {
			return false
		}
	}
	return true
}
