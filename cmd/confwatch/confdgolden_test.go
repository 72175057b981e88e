package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestConfdDocsTemplateFromEtcd renders the template built from confd's
// documentation examples (agent/render/testdata/confd.tmpl) from keys put
// into a real etcd, reading the whole key space (keys = ["/"]), and expects
// the same bytes as the render package's golden file.
func TestConfdDocsTemplateFromEtcd(t *testing.T) {
	srv := testetcd.Start(t)
	kvs := []string{
		"/key", "abc", "/services/zookeeper/host2", `{"Id":"host2", "IP":"192.168.10.12"}`,
		"/services/zookeeper/host1", `{"Id":"host1", "IP":"192.168.10.11"}`,
		"/upstream/app2", "10.0.1.101:80", "/upstream/app1", "10.0.1.100:80", "/upstream/app10", "10.0.1.10:80",
		"/deis/services/web/port", "80", "/deis/services/db/port", "5432", "/deis/services/version", "2",
		"/deis/service", "example.com:8080",
		"/test/data", `{"animals":[{"type":"dog","name":"Fido"},{"type":"cat","name":"Misse"}]}`,
		"/services/data", `["a", "b", "c"]`, "/services/backend/nginx", "web-1-prod",
		"/count", "4", "/base_port", "8000", "/paths/a", "/api/v1", "/paths/b", "/", "/paths/c", "/api",
		"/routes/a", "x", "/routes/bbb", "y", "/routes/cc", "z",
	}
	for i := 0; i < len(kvs); i += 2 {
		srv.Put(t, kvs[i], kvs[i+1])
	}
	d := newConfd(t)
	src := filepath.Join("..", "..", "agent", "render", "testdata")
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
