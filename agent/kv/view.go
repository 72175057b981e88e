package kv

import (
	"path"
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

// ConfdPrefix is a resource prefix as confd uses it: "/" added in front when
// missing, nothing else changed ("production/" is "/production/").
func ConfdPrefix(prefix string) string {
	if !strings.HasPrefix(prefix, "/") {
		return "/" + prefix
	}
	return prefix
}

// Visible is the key a template sees for the etcd key k read with prefix,
// exactly as confd computes it: the prefix cut off as a string, then the
// rest joined to "/" and cleaned. So /k//dbl is /k/dbl, /k/trail/ is
// /k/trail, and with prefix "/production" the key /production/app/name is
// /app/name.
func Visible(prefix, k string) string {
	return path.Join("/", strings.TrimPrefix(k, ConfdPrefix(prefix)))
}

// View presents the keys of several Dirs to a template the way confd does:
// every key is shown as Visible makes it, and only keys inside the Dirs are
// visible. When two etcd keys show as one (/k//a and /k/a), the one that
// needed no cleaning wins, else the last in key order.
//
// A View is cheap to build and holds no copy of the data, unless a key or
// the prefix needs cleaning: then Resolved copies the visible keys once
// (and Get and Scan on an unresolved View do so on every call).
type View struct {
	Prefix string // the resource's prefix, as written ("" for none)
	Dirs   []Dir
	flat   *Tree // the visible keys, when they are not the etcd keys minus a prefix
}

// NewView returns the resolved View of dirs read with prefix.
func NewView(prefix string, dirs []Dir) View {
	return View{Prefix: prefix, Dirs: dirs}.Resolved()
}

// Resolved returns v ready for many reads: when some key needs cleaning, the
// visible keys are computed here once.
func (v View) Resolved() View {
	if v.flat == nil && !v.plain() {
		v.flat = v.visible()
	}
	return v
}

// strip is what plain views cut off etcd keys: the cleaned prefix without
// its trailing slash ("" for the root).
func (v View) strip() string {
	return strings.TrimSuffix(path.Clean(ConfdPrefix(v.Prefix)), "/")
}

// plain reports whether every visible key is the etcd key minus strip():
// the prefix is clean but for a trailing slash, no key needs cleaning, every
// Dir lies under the prefix and no key is the prefix itself.
func (v View) plain() bool {
	p := ConfdPrefix(v.Prefix)
	pc := path.Clean(p)
	if p != pc && p != pc+"/" {
		return false
	}
	for _, d := range v.Dirs {
		if d.Tree.Odd() > 0 || !Contains(pc, d.Key) {
			return false
		}
		if _, ok := d.Tree.Get(pc); ok && pc != "/" {
			return false
		}
	}
	return true
}

// visible builds the tree of visible keys. Pairs whose key needed cleaning
// go first, so that on a collision the one that needed none wins (Reset
// keeps the last of duplicates).
func (v View) visible() *Tree {
	p := ConfdPrefix(v.Prefix)
	var exact, cleaned []Pair
	for _, d := range v.Dirs {
		for i, k := range d.Tree.keys {
			vk := strings.TrimPrefix(k, p)
			if !strings.HasPrefix(vk, "/") {
				vk = "/" + vk
			}
			if c := path.Clean(vk); c != vk {
				cleaned = append(cleaned, Pair{c, d.Tree.vals[i]})
				continue
			}
			exact = append(exact, Pair{vk, d.Tree.vals[i]})
		}
	}
	out := NewTree()
	out.Reset(append(cleaned, exact...))
	return out
}

// Get implements Store.
func (v View) Get(key string) (string, bool) {
	if v = v.Resolved(); v.flat != nil {
		return v.flat.Get(key)
	}
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

// Scan implements Store. Keys passed to fn are visible keys.
func (v View) Scan(prefix string, fn func(key, value string) bool) {
	if v = v.Resolved(); v.flat != nil {
		v.flat.Scan(prefix, fn)
		return
	}
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
