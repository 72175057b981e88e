package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestConfdKeyCleaning renders etcd keys that are not clean paths through
// confd's command line: confd shows /k//dbl as /k/dbl and /k/trail/ as
// /k/trail (path.Join of what is left after the prefix), and joins a prefix
// without its leading slash ("production/") to the keys.
func TestConfdKeyCleaning(t *testing.T) {
	srv := testetcd.Start(t)
	for k, v := range map[string]string{
		"/k//dbl": "1", "/k/trail/": "2", "/k/ok": "3", "/k2x": "sibling",
		"/production/app//name/": "prod", "/production/apps": "sibling",
	} {
		srv.Put(t, k, v)
	}
	d := newConfd(t)
	for name, tc := range map[string]struct{ keys, prefix, tmpl string }{
		"k":   {`["/k/"]`, "", `{{range gets "/k/*"}}{{.Key}}={{.Value}} {{end}}| {{range ls "/k"}}{{.}} {{end}}| {{getv "/k/dbl"}} {{getv "/k/trail"}} {{exists "/k//dbl"}}`},
		"app": {`["app"]`, "production/", `{{getv "/app/name"}} {{range gets "/*/*"}}{{.Key}} {{end}}`},
	} {
		must(t, os.WriteFile(filepath.Join(d.dir, "templates", name+".tmpl"), []byte(tc.tmpl), 0o644))
		d.resource(t, name, `src = "`+name+`.tmpl"
dest = "`+filepath.Join(d.out, name)+`"
keys = `+tc.keys+`
prefix = "`+tc.prefix+`"
`)
	}
	t.Setenv("CONFWATCH_CONFIG", filepath.Join(d.dir, "confwatch.toml"))
	t.Setenv("CONFWATCH_STATE_DIR", d.state)
	if code, out, errs := cw(t, "-onetime", "-backend", "etcdv3", "-node", srv.Endpoint, "-confdir", d.dir); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for name, want := range map[string]string{
		"k":   "/k/dbl=1 /k/ok=3 /k/trail=2 | dbl ok trail | 1 2 false",
		"app": "prod /app/name ",
	} {
		if got := read(t, filepath.Join(d.out, name)); got != want {
			t.Errorf("%s:\n got: %q\nwant: %q", name, got, want)
		}
	}
}
