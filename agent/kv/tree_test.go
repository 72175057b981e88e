package kv

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestTreeMatchesMap drives a Tree and a plain map with the same random
// operations and compares them after each.
func TestTreeMatchesMap(t *testing.T) {
	tr, m := NewTree(), map[string]string{}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		k := fmt.Sprintf("/d/%d", rng.IntN(300))
		if rng.IntN(3) == 0 {
			_, had := m[k]
			if tr.Delete(k) != had {
				t.Fatalf("Delete(%s) disagreed", k)
			}
			delete(m, k)
		} else {
			v := fmt.Sprint(rng.IntN(5))
			changed := m[k] != v
			if _, had := m[k]; !had {
				changed = true
			}
			if tr.Put(k, v) != changed {
				t.Fatalf("Put(%s) disagreed", k)
			}
			m[k] = v
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var got []string
	tr.Scan("/d/", func(k, v string) bool {
		if m[k] != v {
			t.Fatalf("Scan %s=%s, map has %s", k, v, m[k])
		}
		got = append(got, k)
		return true
	})
	if fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Fatal("Scan order or content differs from the map")
	}
	if !tr.Same(tr.Pairs()) {
		t.Fatal("Same(Pairs()) is false")
	}
}

func TestViewPrefixAndDirs(t *testing.T) {
	a, b := NewTree(), NewTree()
	a.Put("/app/services/x/1", "one")
	b.Put("/app/services/y", "two")
	v := View{Prefix: "/app/", Dirs: []Dir{{Key: "/app/services/x", Tree: a}, {Key: "/app/services/y", Tree: b}}}
	if got, ok := v.Get("/services/x/1"); !ok || got != "one" {
		t.Fatalf("Get = %q %v", got, ok)
	}
	var keys []string
	v.Scan("/services/", func(k, _ string) bool { keys = append(keys, k); return true })
	if fmt.Sprint(keys) != "[/services/x/1 /services/y]" {
		t.Fatal(keys)
	}
	if !Contains("/s/a", "/s/a") || !Contains("/s/a", "/s/a/b") || Contains("/s/a", "/s/ab") || Contains("/s/a", "/s/a-b") {
		t.Fatal("Contains is not a directory test")
	}
}

func BenchmarkScan(b *testing.B) {
	tr := NewTree()
	for i := 0; i < 100000; i++ {
		tr.Put(fmt.Sprintf("/services/apache/10.0.%d.%d:8080", i/250, i%250), "v")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		tr.Scan("/services/apache/", func(string, string) bool { n++; return true })
	}
}

func TestResetSortedAndUnsorted(t *testing.T) {
	for _, pairs := range [][]Pair{
		{{"/a", "1"}, {"/b", "2"}, {"/c", "3"}},
		{{"/c", "3"}, {"/a", "1"}, {"/b", "0"}, {"/b", "2"}},
	} {
		tr := NewTree()
		tr.Reset(pairs)
		if fmt.Sprint(tr.Pairs()) != "[{/a 1} {/b 2} {/c 3}]" {
			t.Fatalf("Reset(%v) = %v", pairs, tr.Pairs())
		}
		if tr.Put("/bb", "x"); fmt.Sprint(tr.Pairs()) != "[{/a 1} {/b 2} {/bb x} {/c 3}]" {
			t.Fatalf("after Put: %v", tr.Pairs())
		}
	}
}
