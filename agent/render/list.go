package render

import (
	"path"
	"slices"
	"strings"
)

// ls returns the sorted, distinct names of the entries directly under dir,
// exactly as memkv's List:
//
//   - a key equal to dir (byte for byte) contributes path.Base(key);
//   - a key whose path.Dir is path.Clean(dir) or lies below it contributes the
//     first element of the key with dir and one "/" trimmed from its front.
//
// Directories are compared element by element, so "/a" never lists "/ab/x".
// Consequence kept from memkv: `ls "/"` lists only keys directly under the
// root, never top-level directories. Keys are assumed clean (no "." or ".."
// elements, no "//"), as confd makes them; only keys below dir are visited.
func (b *binding) ls(dir string) []string {
	c := path.Clean(dir)
	scan := c + "/"
	if c == "/" {
		scan = "/"
	}
	var names []string
	b.store.Scan(scan, func(k, _ string) bool {
		if k == dir {
			names = appendNew(names, path.Base(k))
		} else if d := path.Dir(k); d == c || strings.HasPrefix(d, scan) && c != "/" {
			names = appendNew(names, firstElem(stripKey(k, dir)))
		}
		return true
	})
	if !strings.HasPrefix(dir, scan) {
		if _, ok := b.store.Get(dir); ok {
			names = append(names, path.Base(dir))
		}
	}
	return sortedSet(names)
}

// lsdir returns the sorted, distinct names of the directories directly under
// dir (entries that have children), exactly as memkv's ListDir: among keys
// starting with dir, those whose path.Dir lies strictly below
// path.Clean(dir) contribute the first element below it. Consequence kept
// from memkv: `lsdir "/"` is always empty.
func (b *binding) lsdir(dir string) []string {
	below := path.Clean(dir) + "/"
	var names []string
	b.store.Scan(dir, func(k, _ string) bool {
		if rest, ok := strings.CutPrefix(path.Dir(k), below); ok {
			names = appendNew(names, firstElem(rest))
		}
		return true
	})
	return sortedSet(names)
}

// appendNew appends s unless it equals the last element (keys arrive sorted,
// so most repeats are adjacent; sortedSet removes the rest).
func appendNew(names []string, s string) []string {
	if n := len(names); n > 0 && names[n-1] == s {
		return names
	}
	return append(grow(names), s)
}

// sortedSet sorts and de-duplicates names; never nil.
func sortedSet(names []string) []string {
	if names == nil {
		return []string{}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// stripKey is memkv's: key without the prefix, then without one leading "/".
func stripKey(key, prefix string) string {
	return strings.TrimPrefix(strings.TrimPrefix(key, prefix), "/")
}

// firstElem returns s up to its first "/".
func firstElem(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
