package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestSIGHUPBrokenSetIsRejectedWhole: README, SIGHUP: "A broken set is
// rejected as a whole: the old one keeps running, the error is logged and
// shown in STATUS=". The new set adds a good resource, changes an included
// partial of the running one, and adds one broken resource (an unknown key).
// Nothing of it may be taken: the good new resource's dest is not written,
// the running one keeps rendering with the old partial. Then the broken file
// is fixed and a second SIGHUP takes all of it, the partial included
// ("Included files are read again on SIGHUP").
func TestSIGHUPBrokenSetIsRejectedWhole(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	tpl := filepath.Join(d.dir, "templates")
	must(t, os.WriteFile(filepath.Join(tpl, "part.tmpl"), []byte("# part v1\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(tpl, "lb.tmpl"),
		[]byte(`{{ include "part.tmpl" }}{{ range getvs "/services/apache/*" }}server {{ . }};`+"\n"+`{{ end }}`), 0o644))
	dest := filepath.Join(d.out, "lb.conf")
	d.resource(t, "lb", fmt.Sprintf("src = \"lb.tmpl\"\ndest = %q\nkeys = [\"/services/apache\"]\n", dest))
	ch := listenNotify(t)
	agent := startAgent(d.args(srv.Endpoint)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	expect(t, ch, "READY=1", has("READY=1"))
	waitFile(t, dest, "# part v1\nserver 10.0.0.1:80;")

	newDest := filepath.Join(d.out, "new.conf")
	must(t, os.WriteFile(filepath.Join(tpl, "part.tmpl"), []byte("# part v2\n"), 0o644))
	d.resource(t, "new", fmt.Sprintf("src = \"lb.tmpl\"\ndest = %q\nkeys = [\"/services/apache\"]\n", newDest))
	d.resource(t, "broken", fmt.Sprintf("src = \"lb.tmpl\"\ndest = %q\nkeys = [\"/x\"]\nreload_comand = \"true\"\n",
		filepath.Join(d.out, "broken.conf")))
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	expect(t, ch, "READY=1 with the rejection", func(m string) bool {
		return strings.Contains(m, "READY=1") && strings.Contains(m, "configuration reload rejected")
	})
	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	waitFile(t, dest, "server 10.0.0.2:80;")
	if got := read(t, dest); !strings.HasPrefix(got, "# part v1\n") {
		t.Errorf("the rejected set's partial was taken:\n%s", got)
	}
	if _, err := os.Stat(newDest); err == nil {
		t.Errorf("the rejected set's new resource was applied: %q", read(t, newDest))
	}

	must(t, os.Remove(filepath.Join(d.dir, "conf.d", "broken.toml")))
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	waitFile(t, dest, "# part v2\n")
	waitFile(t, newDest, "# part v2\nserver 10.0.0.1:80;\nserver 10.0.0.2:80;")
}
