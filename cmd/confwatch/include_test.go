package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIncludeFromConfdir: include names files relative to the confdir's
// templates/, whatever directory the including template is in; check
// reports an include cycle at the include, with file:line:col.
func TestIncludeFromConfdir(t *testing.T) {
	d := newConfd(t)
	tpl := filepath.Join(d.dir, "templates")
	must(t, os.MkdirAll(filepath.Join(tpl, "sites"), 0o755))
	must(t, os.MkdirAll(filepath.Join(tpl, "partials"), 0o755))
	must(t, os.WriteFile(filepath.Join(tpl, "sites", "app.tmpl"), []byte("{{include \"partials/up.tmpl\"}}server {}\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(tpl, "partials", "up.tmpl"), []byte("upstream {{range getvs \"/s/*\"}}{{.}} {{end}}\n"), 0o644))
	d.resource(t, "app", "src = \"sites/app.tmpl\"\ndest = \""+filepath.Join(d.out, "app")+"\"\nkeys = [\"/s\"]\n")
	mock := filepath.Join(d.dir, "mock.yaml")
	must(t, os.WriteFile(mock, []byte("/s/a: 10.0.0.1\n/s/b: 10.0.0.2\n"), 0o644))
	code, out, errs := cw(t, d.args("", "check", "--mock-data", mock)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	contains(t, "output", out, "upstream 10.0.0.1 10.0.0.2 \nserver {}\n")

	must(t, os.WriteFile(filepath.Join(tpl, "partials", "up.tmpl"), []byte("\n{{include \"sites/app.tmpl\"}}"), 0o644))
	code, out, _ = cw(t, d.args("", "check")...)
	if code != exitFailed {
		t.Fatalf("check of an include cycle: exit %d\n%s", code, out)
	}
	contains(t, "check", out, "templates/sites/app.tmpl:1:3: include \"partials/up.tmpl\":",
		"include cycle: app.tmpl -> up.tmpl -> app.tmpl")
}
