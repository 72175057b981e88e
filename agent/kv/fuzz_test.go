package kv

import (
	"slices"
	"strings"
	"testing"
)

// FuzzTree runs a sequence of Put, Delete and Reset on a Tree and on a plain
// map, then checks every read against the map: Get, Len, Odd, Pairs, Scan
// (order, prefix, early stop), and that a View over the tree shows the same
// keys whether it takes the plain path or the resolved (cleaned) one.
func FuzzTree(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 1, 2, 1, 0, 0, 2, 3, 4}, "/a\n/a/b\n/a//c\n/b/\n/", "/a")
	f.Add([]byte{0, 1, 9, 0, 2, 9, 0, 3, 9, 3, 0, 0}, "/x\n/x/./y\n/x/../z\n/x/y", "")
	f.Add([]byte{2, 0, 0, 0, 4, 5, 1, 4, 0}, "/p/a\n/p\n/pa\n/p/\n/p/a/", "/p/")
	f.Fuzz(func(t *testing.T, ops []byte, pool, prefix string) {
		keys := strings.Split(pool, "\n")
		for i, k := range keys {
			if !strings.HasPrefix(k, "/") {
				keys[i] = "/" + k
			}
		}
		tr, model := NewTree(), map[string]string{}
		for i := 0; i+2 < len(ops) && i < 3*256; i += 3 {
			k, v := keys[int(ops[i+1])%len(keys)], string(rune('a'+ops[i+2]%26))
			switch ops[i] % 4 {
			case 0:
				_, had := model[k]
				if changed := tr.Put(k, v); changed != (!had || model[k] != v) {
					t.Fatalf("Put(%q, %q) = %v with model %q", k, v, changed, model)
				}
				model[k] = v
			case 1:
				_, had := model[k]
				if tr.Delete(k) != had {
					t.Fatalf("Delete(%q) != %v", k, had)
				}
				delete(model, k)
			case 2: // Reset with the model's pairs in a scrambled order, and a duplicate
				var pairs []Pair
				for mk, mv := range model {
					pairs = append(pairs, Pair{mk, mv})
				}
				if len(pairs) > 0 {
					pairs = append([]Pair{{pairs[0].Key, "dup"}}, pairs...)
				}
				tr.Reset(pairs)
			case 3: // Reset sorted (etcd's order, the fast path)
				pairs := make([]Pair, 0, len(model))
				for _, mk := range slices.Sorted(mapKeys(model)) {
					pairs = append(pairs, Pair{mk, model[mk]})
				}
				tr.Reset(pairs)
			}
		}
		checkTree(t, tr, model, keys)
		checkView(t, View{Prefix: prefix, Dirs: []Dir{{Key: "/", Tree: tr}}})
	})
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func checkTree(t *testing.T, tr *Tree, model map[string]string, keys []string) {
	t.Helper()
	if tr.Len() != len(model) {
		t.Fatalf("Len %d, model %d", tr.Len(), len(model))
	}
	odd := 0
	want := make([]Pair, 0, len(model))
	for _, k := range slices.Sorted(mapKeys(model)) {
		want = append(want, Pair{k, model[k]})
		odd += oddKey(k)
	}
	if !slices.Equal(tr.Pairs(), want) || !tr.Same(want) {
		t.Fatalf("Pairs %q, want %q", tr.Pairs(), want)
	}
	if tr.Odd() != odd {
		t.Fatalf("Odd %d, want %d", tr.Odd(), odd)
	}
	for _, p := range append(keys, "", "/") {
		if v, ok := tr.Get(p); ok != (model[p] != "" || hasKey(model, p)) || v != model[p] {
			t.Fatalf("Get(%q) = %q, %v", p, v, ok)
		}
		var got []Pair
		tr.Scan(p, func(k, v string) bool { got = append(got, Pair{k, v}); return true })
		var exp []Pair
		for _, w := range want {
			if strings.HasPrefix(w.Key, p) {
				exp = append(exp, w)
			}
		}
		if !slices.Equal(got, exp) {
			t.Fatalf("Scan(%q) = %q, want %q", p, got, exp)
		}
		n := 0
		tr.Scan(p, func(string, string) bool { n++; return false })
		if n > 1 {
			t.Fatalf("Scan(%q) went on after false", p)
		}
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// checkView: the plain path (no copy) and the resolved tree agree, keys are
// in strictly ascending order and Get agrees with Scan.
func checkView(t *testing.T, v View) {
	t.Helper()
	var got []Pair
	v.Scan("", func(k, val string) bool { got = append(got, Pair{k, val}); return true })
	for i, p := range got {
		if i > 0 && got[i-1].Key >= p.Key {
			t.Fatalf("View.Scan out of order: %q", got)
		}
		if val, ok := v.Get(p.Key); !ok || val != p.Value {
			t.Fatalf("View.Get(%q) = %q, %v; Scan said %q", p.Key, val, ok, p.Value)
		}
	}
	if v.plain() {
		if flat := v.visible().Pairs(); !slices.Equal(flat, got) {
			t.Fatalf("plain view %q, resolved %q", got, flat)
		}
	}
}
