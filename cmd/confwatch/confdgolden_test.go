package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestConfdDocsTemplateFromEtcd renders the template built from confd's
// documentation examples (agent/render/testdata/confd.tmpl) from keys put
// into a real etcd, reading the whole key space (keys = ["/"]), and expects
// the same bytes as the render package's golden file.
func TestConfdDocsTemplateFromEtcd(t *testing.T) {
	srv := testetcd.Start(t)
	src := filepath.Join("..", "..", "agent", "render", "testdata")
	keys, err := os.ReadFile(filepath.Join(src, "confd.keys"))
	must(t, err)
	for _, line := range strings.Split(string(keys), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "\t")
		srv.Put(t, k, v)
	}
	d := newConfd(t)
	tmpl, err := os.ReadFile(filepath.Join(src, "confd.tmpl"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", "confd.tmpl"), tmpl, 0o644))
	dest := filepath.Join(d.out, "confd.out")
	d.resource(t, "docs", `src = "confd.tmpl"
dest = "`+dest+`"
keys = ["/"]
`)
	if code, out, errs := cw(t, d.args(srv.Endpoint, "render")...); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	want, err := os.ReadFile(filepath.Join(src, "confd.golden"))
	must(t, err)
	if got := read(t, dest); got != string(want) {
		t.Fatalf("render from etcd differs from the golden file:\n got: %q\nwant: %q", got, want)
	}
}
