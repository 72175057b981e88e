package render

import (
	"os"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/agent/kv"
)

// tree builds a store from key, value, key, value ...
func tree(kvs ...string) *kv.Tree {
	t := kv.NewTree()
	for i := 0; i+1 < len(kvs); i += 2 {
		t.Put(kvs[i], kvs[i+1])
	}
	return t
}

// run parses and executes text against store.
func run(t testing.TB, store kv.Store, text string) (string, error) {
	t.Helper()
	tmpl, err := Parse("test.tmpl", []byte(text))
	if err != nil {
		return "", err
	}
	out, err := tmpl.Execute(store)
	return string(out), err
}

// readKeys reads a KEY<TAB>VALUE file (# comments) into tree's argument form.
func readKeys(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "\t")
		out = append(out, k, v)
	}
	return out
}
