package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// noReadyYet fails the test if a READY=1 datagram is already waiting on ch.
func noReadyYet(t *testing.T, ch <-chan string, when string) {
	t.Helper()
	for {
		select {
		case m := <-ch:
			if strings.Contains(m, "READY=1") {
				t.Fatalf("READY=1 %s: %q", when, m)
			}
		default:
			return
		}
	}
}

// TestReadyWaitsForEveryResource: README: "READY=1 only after every
// resource has been applied once (ready_when = "applied", the default)".
// Two resources in separate groups: "fast" applies at once, "slow" has a
// check that blocks. While slow's check runs, no READY=1 may have been sent
// (nginx, ordered After=, would start on half a configuration); once it
// ends, READY=1 comes.
func TestReadyWaitsForEveryResource(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	d.template(t, "nginx.tmpl")
	blk := filepath.Join(t.TempDir(), "block")
	started := blk + ".started"
	must(t, os.WriteFile(blk, nil, 0o644))
	fast, slow := filepath.Join(d.out, "fast.conf"), filepath.Join(d.out, "slow.conf")
	d.resource(t, "fast", fmt.Sprintf("src = \"nginx.tmpl\"\ndest = %q\nkeys = [\"/services/apache\"]\n", fast))
	d.resource(t, "slow", fmt.Sprintf("src = \"nginx.tmpl\"\ndest = %q\nkeys = [\"/services/apache\"]\n"+
		"check_cmd = \"touch %s; while [ -e %s ]; do sleep 0.05; done\"\n", slow, started, blk))
	ch := listenNotify(t)
	agent := startAgent(d.args(srv.Endpoint)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	waitExists(t, started)
	waitFile(t, fast, "server 10.0.0.1:80;")
	noReadyYet(t, ch, "while a resource's first apply is still in its check")
	must(t, os.Remove(blk))
	expect(t, ch, "READY=1", has("READY=1"))
	if !strings.Contains(read(t, slow), "server 10.0.0.1:80;") {
		t.Fatal("READY=1 before slow was applied")
	}
}

// TestDestPresentNeedsADest: README: ready_when = "dest-present" is ready
// "also when a resource kept its previous good file because a guard refused
// the new one". The hostile start: the guard refuses and there is no
// previous file. Not ready (READY=1 would start nginx without its config):
// /healthz 503; and once a key arrives and is applied, ready.
func TestDestPresentNeedsADest(t *testing.T) {
	srv := testetcd.Start(t)
	d := newConfd(t)
	dest := d.classic(t, "")
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ch := listenNotify(t)
	agent := startAgent(append([]string{"--listen", listen, "--ready-when", "dest-present"}, d.args(srv.Endpoint)...)...)
	defer func() { agent.cancel(); agent.wait(t) }()
	expect(t, ch, "the refusal in STATUS", has("refused"))
	waitHealthz(t, "http://"+listen+"/healthz", http.StatusServiceUnavailable, "refused")
	noReadyYet(t, ch, "with no dest at all")
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	expect(t, ch, "READY=1", has("READY=1"))
	if !strings.Contains(read(t, dest), "server 10.0.0.1:80;") {
		t.Fatal("READY=1 before dest was in place")
	}
}
