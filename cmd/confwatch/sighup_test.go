package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/metrics"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// readyz fetches /readyz and decodes it; a body that is not the documented
// JSON fails the test.
func readyz(t *testing.T, listen string) (int, metrics.Detail) {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/readyz")
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	var d metrics.Detail
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("/readyz is not JSON: %v\n%s", err, b)
	}
	return resp.StatusCode, d
}

// waitReadyz polls /readyz until ok holds for its view.
func waitReadyz(t *testing.T, listen, what string, ok func(metrics.Detail) bool) metrics.Detail {
	t.Helper()
	var d metrics.Detail
	for i := 0; i < 200; i++ {
		var code int
		if code, d = readyz(t, listen); code == http.StatusOK && ok(d) {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/readyz never showed %s; last: %+v", what, d)
	return d
}

// TestSIGHUPTakesRenamedResourceAndNewDest renames a resource and moves its
// dest, then sends SIGHUP to a running agent: the new resource is rendered at
// once to its new dest and follows etcd from then on, the old dest is left as
// it was (confwatch never deletes a file it stopped managing), and /readyz,
// read from the running agent, names the new resource only.
func TestSIGHUPTakesRenamedResourceAndNewDest(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	oldDest := d.classic(t, "")
	ch := listenNotify(t)
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	agent := startAgent(append([]string{"--listen", listen}, d.args(srv.Endpoint)...)...)
	expect(t, ch, "READY=1", has("READY=1"))

	got := waitReadyz(t, listen, "resource nginx applied", func(d metrics.Detail) bool {
		return len(d.Resources) == 1 && d.Resources[0].Name == "nginx" && d.Resources[0].OK
	})
	if !got.Ready || !got.LoopAlive || !got.Etcd.Up || got.Revision == 0 {
		t.Fatalf("/readyz of a running, ready agent: %+v", got)
	}

	newDest := filepath.Join(d.out, "moved", "web.conf")
	must(t, os.MkdirAll(filepath.Dir(newDest), 0o755))
	must(t, os.Remove(filepath.Join(d.dir, "conf.d", "nginx.toml")))
	d.resource(t, "web", fmt.Sprintf("src = \"nginx.tmpl\"\ndest = %q\nkeys = [ \"/services/apache\" ]\nmode = \"0644\"\n", newDest))
	before := read(t, oldDest)
	must(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	expect(t, ch, "RELOADING=1", has("RELOADING=1"))
	expect(t, ch, "READY=1 after the reload", has("READY=1"))
	waitFile(t, newDest, "server 10.0.0.1:80;")

	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	waitFile(t, newDest, "server 10.0.0.2:80;")
	waitReadyz(t, listen, "resource web only, applied", func(d metrics.Detail) bool {
		return len(d.Resources) == 1 && d.Resources[0].Name == "web" && d.Resources[0].OK &&
			d.Resources[0].Dest == newDest
	})
	if after := read(t, oldDest); after != before {
		t.Errorf("the old dest changed after its resource was removed:\n%s", after)
	}
	if strings.Contains(read(t, oldDest), "10.0.0.2") {
		t.Error("the removed resource still follows etcd")
	}

	agent.cancel()
	if code, errb := agent.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb)
	}
}
