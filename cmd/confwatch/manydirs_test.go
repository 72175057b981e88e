package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestRenderManyDirs: a resource reading 300 directories, more than etcd's
// default --max-txn-ops (128) allows in one transaction, renders and exits 0
// (it exited 3, "etcd unreachable", with "too many operations in txn
// request").
func TestRenderManyDirs(t *testing.T) {
	srv := testetcd.Start(t)
	d := newConfd(t)
	var keys []string
	for i := range 300 {
		dir := fmt.Sprintf("/d%03d", i)
		keys = append(keys, fmt.Sprintf("%q", dir))
		srv.Put(t, dir+"/k", dir)
	}
	must(t, os.WriteFile(filepath.Join(d.dir, "templates", "many.tmpl"), []byte(`{{getv "/d000/k"}} {{getv "/d299/k"}}`+"\n"), 0o644))
	dest := filepath.Join(d.out, "many.conf")
	d.resource(t, "many", fmt.Sprintf("src = \"many.tmpl\"\ndest = %q\nkeys = [%s]\n", dest, strings.Join(keys, ", ")))
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if got := read(t, dest); got != "/d000 /d299\n" {
		t.Fatalf("rendered %q", got)
	}
}
