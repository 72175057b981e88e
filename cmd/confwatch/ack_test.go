package main

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/ack"
	"github.com/confwatch/confwatch/internal/syncbuf"
	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestAgentHelperProcess is `confwatch run` in a child process (see
// startAckAgent); it does nothing in a normal test run.
func TestAgentHelperProcess(t *testing.T) {
	if os.Getenv("CONFWATCH_TEST_AGENT") != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, append([]string{"confwatch", "run"}, os.Args[slices.Index(os.Args, "--")+1:]...), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// ackLB is one load balancer: a confd tree whose reload_cmd waits delay,
// then logs "with" or "without" the sidekick's backend to log, and the
// agent announcing as name.
type ackLB struct {
	d        *confd
	name     string
	log      string
	endpoint string
	cmd      *exec.Cmd
	out      *syncbuf.Buffer
}

func newAckLB(t *testing.T, endpoint, name, delay string) *ackLB {
	lb := &ackLB{d: newConfd(t), name: name, endpoint: endpoint}
	lb.log = filepath.Join(lb.d.dir, "reload.log")
	reload := "sleep " + delay + "; if grep -q 'server v;' {{.dest}}; then echo with >> " + lb.log + "; else echo without >> " + lb.log + "; fi"
	lb.d.classic(t, "reload_cmd = \""+reload+"\"\n")
	return lb
}

// start runs the agent as a child process.
func (lb *ackLB) start(t *testing.T) {
	t.Helper()
	args := append([]string{"-test.run=^TestAgentHelperProcess$", "--"}, lb.d.args(lb.endpoint,
		"--log-format", "text", "--ack-prefix", "/acks", "--ack-name", lb.name, "--ack-ttl", "2s")...)
	lb.cmd = exec.Command(os.Args[0], args...)
	lb.cmd.Env = append(os.Environ(), "CONFWATCH_TEST_AGENT=1", "NOTIFY_SOCKET=")
	lb.out = &syncbuf.Buffer{}
	lb.cmd.Stdout, lb.cmd.Stderr = lb.out, lb.out
	must(t, lb.cmd.Start())
	cmd := lb.cmd
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

// last is the last line of the reload log ("" before the first reload).
func (lb *ackLB) last(t *testing.T) string {
	ls := strings.Fields(read(t, lb.log))
	if len(ls) == 0 || ls[0] == "<missing>" {
		return ""
	}
	return ls[len(ls)-1]
}

// acksAt waits until every name announces /services/apache at rev or later.
func acksAt(t *testing.T, srv *testetcd.Server, rev int64, names ...string) {
	t.Helper()
	regWait(t, 20*time.Second, "announcements of "+strings.Join(names, ", "), func() bool {
		es, _, err := ack.List(context.Background(), srv.Client, "/acks")
		must(t, err)
		n := 0
		for _, e := range es {
			if d, ok := e.Record.Dirs["/services/apache"]; ok && e.Live() && d.Revision >= rev && slices.Contains(names, e.Record.Name) {
				n++
			}
		}
		return n == len(names)
	})
}

// TestDrainBarrierEndToEnd: two agents announce (lb-b reloads slowly), and
// a sidekick with --ack-prefix exits on SIGTERM only once both have reloaded
// without its backend. A put that changes nothing moves both announcements
// without a reload. Then lb-a is killed and started again: it announces
// again, and `confwatch status` shows both.
func TestDrainBarrierEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two agents and a sidekick in child processes")
	}
	srv := testetcd.Start(t)
	for _, b := range []string{"a", "b", "c"} {
		srv.Put(t, "/services/apache/"+b, "10.0.0."+b+":80")
	}
	lbA, lbB := newAckLB(t, srv.Endpoint, "lb-a", "0"), newAckLB(t, srv.Endpoint, "lb-b", "1")
	lbA.start(t)
	lbB.start(t)
	notes := regNotifySocket(t)
	const key = "/services/apache/10.0.0.9:80"
	side, sideOut := startRegister(t, srv, notes.path, key, "5s", "--ack-prefix", "/acks", "--drain-timeout", "30s")
	regWait(t, 20*time.Second, "both load balancers reloaded with the backend", func() bool {
		return lbA.last(t) == "with" && lbB.last(t) == "with"
	})
	resp, err := srv.Client.Get(context.Background(), key)
	must(t, err)
	acksAt(t, srv, resp.Kvs[0].ModRevision, "lb-a", "lb-b")

	must(t, side.Process.Signal(syscall.SIGTERM))
	if err := regWaitExit(t, side, 30*time.Second); err != nil {
		t.Fatalf("sidekick: %v\n%s", err, sideOut)
	}
	if a, b := lbA.last(t), lbB.last(t); a != "without" || b != "without" {
		t.Fatalf("the sidekick exited before both load balancers reloaded without it: lb-a %q, lb-b %q\n%s", a, b, sideOut)
	}
	for _, l := range strings.Split(sideOut.String(), "\n") {
		if strings.Contains(l, "drain barrier") {
			t.Log(l) // how long the barrier waited (lb-b's reload sleeps 1s)
		}
	}
	if !notes.has("STATUS=deregistered; all 2 load balancers at rev >= ") {
		t.Errorf("no STATUS= of the barrier passing: %q", notes.all())
	}

	// A change that changes nothing (the same value again) moves the
	// announcements without a reload.
	reloads := read(t, lbB.log)
	same := srv.Put(t, "/services/apache/a", "10.0.0.a:80")
	acksAt(t, srv, same, "lb-a", "lb-b")
	if read(t, lbB.log) != reloads {
		t.Error("a put of the same value reloaded")
	}

	// kill -9 and restart: the new agent announces again on the same key.
	must(t, lbA.cmd.Process.Kill())
	_ = lbA.cmd.Wait()
	_, err = srv.Client.Delete(context.Background(), "/acks/lb-a") // as when its lease ends
	must(t, err)
	now := srv.Put(t, "/services/apache/d", "10.0.0.d:80")
	lbA.start(t)
	acksAt(t, srv, now, "lb-a", "lb-b")

	code, out, errs := cw(t, "status", "--endpoints", srv.Endpoint, "--ack-prefix", "/acks",
		"--config", filepath.Join(lbA.d.dir, "confwatch.toml"), "--confdir", lbA.d.dir)
	if code != 0 || !strings.Contains(out, "2 load balancers announcing under /acks") ||
		!strings.Contains(out, "\nlb-a: /services/apache rev ") || !strings.Contains(out, "\nlb-b: /services/apache rev ") {
		t.Errorf("status: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = cw(t, "status", "--endpoints", srv.Endpoint, "--ack-prefix", "/acks", "--json",
		"--config", filepath.Join(lbA.d.dir, "confwatch.toml"), "--confdir", lbA.d.dir)
	if code != 0 || !strings.Contains(out, `"name": "lb-b"`) {
		t.Errorf("status --json: exit %d\n%s", code, out)
	}
}
