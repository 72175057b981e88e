package kv

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestVisible pins confd's key arithmetic: path.Join("/", TrimPrefix(key,
// prefix)), with "/" put in front of a prefix that lacks it.
func TestVisible(t *testing.T) {
	for _, tc := range []struct{ prefix, key, want string }{
		{"", "/a/b", "/a/b"},
		{"", "/k//dbl", "/k/dbl"},
		{"", "/k/trail/", "/k/trail"},
		{"", "/a/./b", "/a/b"},
		{"/", "/x/y", "/x/y"},
		{"/production", "/production/app/name", "/app/name"},
		{"production/", "/production/app/name", "/app/name"},
		{"/production/", "/production/app//x/", "/app/x"},
		{"/production", "/production", "/"},
		{"/production/", "/production", "/production"}, // the prefix does not match as a string
	} {
		if got := Visible(tc.prefix, tc.key); got != tc.want {
			t.Errorf("Visible(%q, %q) = %q, want %q", tc.prefix, tc.key, got, tc.want)
		}
	}
}

// TestViewShowsConfdKeys reads views through Get and Scan, resolved and not,
// on the fast path (keys that need no cleaning) and the copying one.
func TestViewShowsConfdKeys(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		dirs         map[string][]string // dir -> key, value, ...
		get          map[string]string   // visible key -> value ("" = absent)
		scan         string              // Scan("/") as key=value;
	}{
		{"plain", "", map[string][]string{"/k": {"/k/a", "1", "/k/b/c", "2"}},
			map[string]string{"/k/a": "1", "/k/b/c": "2", "/k/b": ""}, "/k/a=1;/k/b/c=2;"},
		{"prefix without leading slash", "production/", map[string][]string{"/production/app": {"/production/app/name", "prod", "/production/app/x/y", "deep"}},
			map[string]string{"/app/name": "prod", "/app/x/y": "deep", "/production/app/name": ""}, "/app/name=prod;/app/x/y=deep;"},
		{"double and trailing slashes", "", map[string][]string{"/k": {"/k//dbl", "1", "/k/trail/", "2", "/k/ok", "3"}},
			map[string]string{"/k/dbl": "1", "/k/trail": "2", "/k/ok": "3", "/k//dbl": "", "/k/trail/": ""}, "/k/dbl=1;/k/ok=3;/k/trail=2;"},
		{"clean key wins a collision", "", map[string][]string{"/k": {"/k//a", "odd", "/k/a", "clean", "/k/a/", "odd2"}},
			map[string]string{"/k/a": "clean"}, "/k/a=clean;"},
		{"odd keys under a prefix", "/p", map[string][]string{"/p/s": {"/p/s//x", "1"}},
			map[string]string{"/s/x": "1"}, "/s/x=1;"},
		{"the prefix itself is /", "/p", map[string][]string{"/p": {"/p", "root", "/p/a", "1"}},
			map[string]string{"/": "root", "/a": "1"}, "/=root;/a=1;"},
		{"a prefix that needs cleaning is not cut off, as in confd", "/p//q", map[string][]string{"/p/q/s": {"/p/q/s/x", "1"}},
			map[string]string{"/p/q/s/x": "1", "/s/x": ""}, "/p/q/s/x=1;"},
		{"several dirs", "/p/", map[string][]string{"/p/a": {"/p/a/x", "1"}, "/p/b": {"/p/b//y", "2"}},
			map[string]string{"/a/x": "1", "/b/y": "2"}, "/a/x=1;/b/y=2;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dirs []Dir
			for _, d := range slices.Sorted(maps.Keys(tc.dirs)) {
				tr := NewTree()
				kvs := tc.dirs[d]
				for i := 0; i < len(kvs); i += 2 {
					tr.Put(kvs[i], kvs[i+1])
				}
				dirs = append(dirs, Dir{Key: d, Tree: tr})
			}
			for _, v := range []View{{Prefix: tc.prefix, Dirs: dirs}, NewView(tc.prefix, dirs)} {
				for k, want := range tc.get {
					got, ok := v.Get(k)
					if ok != (want != "") || got != want {
						t.Errorf("Get(%q) = %q %v, want %q", k, got, ok, want)
					}
				}
				var b strings.Builder
				v.Scan("/", func(k, val string) bool { fmt.Fprintf(&b, "%s=%s;", k, val); return true })
				if b.String() != tc.scan {
					t.Errorf("Scan = %s, want %s", b.String(), tc.scan)
				}
			}
		})
	}
}

func TestTreeCountsOddKeys(t *testing.T) {
	tr := NewTree()
	tr.Put("/a", "1")
	tr.Put("/a//b", "1")
	tr.Put("/a//b", "2")
	tr.Put("/c/", "1")
	if tr.Odd() != 2 {
		t.Fatalf("Odd = %d after puts, want 2", tr.Odd())
	}
	tr.Delete("/a//b")
	tr.Delete("/nothing//")
	if tr.Odd() != 1 {
		t.Fatalf("Odd = %d after delete, want 1", tr.Odd())
	}
	tr.Reset([]Pair{{"/x//y", "1"}, {"/", "root"}})
	if tr.Odd() != 1 {
		t.Fatalf("Odd = %d after Reset, want 1", tr.Odd())
	}
}

// BenchmarkViewResolve measures what a render pays to build its view of
// 10,000 keys: nothing to copy when every key is clean, one copy of the
// visible keys when one of them needs cleaning.
func BenchmarkViewResolve(b *testing.B) {
	for _, odd := range []bool{false, true} {
		tr := NewTree()
		for i := 0; i < 10000; i++ {
			tr.Put(fmt.Sprintf("/services/apache/10.0.%d.%d:8080", i/250, i%250), "v")
		}
		if odd {
			tr.Put("/services/apache//odd", "v")
		}
		dirs := []Dir{{Key: "/services/apache", Tree: tr}}
		b.Run(fmt.Sprintf("odd=%v", odd), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				v := NewView("", dirs)
				if _, ok := v.Get("/services/apache/10.0.0.1:8080"); !ok {
					b.Fatal("key not found")
				}
			}
		})
	}
}
