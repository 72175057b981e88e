package kv

import (
	"sort"
	"strings"
)

// Dir is one entry of a resource's `keys`, resolved to etcd: the key itself
// and everything under Key+"/" (a prefix is a directory, so /services/apache
// never matches /services/apache2/...).
type Dir struct {
	Key  string // absolute etcd key, no trailing slash ("/" for the root)
	Tree *Tree  // holds only keys inside this Dir
}

// Contains reports whether the etcd key k belongs to the directory dir.
func Contains(dir, k string) bool {
	if dir == "/" {
		return strings.HasPrefix(k, "/")
	}
	return k == dir || (strings.HasPrefix(k, dir) && len(k) > len(dir) && k[len(dir)] == '/')
}

// View presents the keys of several Dirs to a template the way confd does: the
// resource prefix is stripped from every key, and only keys inside the Dirs are
// visible. A View is cheap to build and holds no copy of the data.
type View struct {
	Prefix string // etcd prefix stripped from keys ("" or "/" for none)
	Dirs   []Dir
}

func (v View) strip() string { return strings.TrimSuffix(v.Prefix, "/") }

// Get implements Store.
func (v View) Get(key string) (string, bool) {
	ek := v.strip() + key
	for _, d := range v.Dirs {
		if Contains(d.Key, ek) {
			if val, ok := d.Tree.Get(ek); ok {
				return val, true
			}
		}
	}
	return "", false
}

// Scan implements Store. Keys passed to fn have the prefix stripped.
func (v View) Scan(prefix string, fn func(key, value string) bool) {
	p := v.strip()
	ep := p + prefix
	if len(v.Dirs) == 1 {
		v.Dirs[0].Tree.Scan(ep, func(k, val string) bool { return fn(k[len(p):], val) })
		return
	}
	// Several directories may overlap: merge, de-duplicate, sort.
	seen := map[string]string{}
	for _, d := range v.Dirs {
		d.Tree.Scan(ep, func(k, val string) bool {
			seen[k[len(p):]] = val
			return true
		})
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn(k, seen[k]) {
			return
		}
	}
}

// Count reports how many keys each Dir holds, in order: the numbers the guards
// compare.
func (v View) Count() []int {
	out := make([]int, len(v.Dirs))
	for i, d := range v.Dirs {
		out[i] = d.Tree.Len()
	}
	return out
}
