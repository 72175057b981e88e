package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestGroupMemberFailureKeepsOthersApplied: README, watch mode: "Within a
// group, a resource whose render fails or is refused keeps its file; the
// others are still checked, swapped and reloaded together." Three resources
// share one reload_cmd (one group): "good" renders, "broken" fails its
// template (a key etcd lacks), "empty" is refused (its directory is empty).
// render: good applied and checked, one reload, the other two files kept
// byte for byte, exit 1 naming both.
func TestGroupMemberFailureKeepsOthersApplied(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/good/a", "1")
	srv.Put(t, "/broken/a", "1")
	d := newConfd(t)
	log := filepath.Join(t.TempDir(), "log")
	res := map[string]string{
		"good":   `{{ getv "/good/a" }}`,
		"broken": `{{ getv "/broken/missing" }}`,
		"empty":  `{{ range gets "/empty/*" }}{{ .Value }}{{ end }}x`,
	}
	dests := map[string]string{}
	for name, tmpl := range res {
		dests[name] = filepath.Join(d.out, name+".conf")
		must(t, os.WriteFile(dests[name], []byte("last good "+name+"\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(d.dir, "templates", name+".tmpl"), []byte(tmpl), 0o644))
		d.resource(t, name, fmt.Sprintf("src = %q\ndest = %q\nkeys = [\"/%s\"]\n"+
			"check_cmd = \"echo check %s >> %s\"\nreload_cmd = \"echo reload >> %s\"\n",
			name+".tmpl", dests[name], name, name, log, log))
	}
	code, out, errs := cw(t, d.args(srv.Endpoint, "render")...)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errs)
	}
	if got := read(t, dests["good"]); got != "1" {
		t.Errorf("good not applied: %q\n%s", got, out)
	}
	for _, name := range []string{"broken", "empty"} {
		if got := read(t, dests[name]); got != "last good "+name+"\n" {
			t.Errorf("%s not kept: %q", name, got)
		}
	}
	if got := strings.Fields(strings.ReplaceAll(read(t, log), "\n", " ")); strings.Join(got, " ") != "check good reload" {
		t.Errorf("commands run: %q, want one check of good and one reload", read(t, log))
	}
	contains(t, "render output", out, "broken", "empty")
}
