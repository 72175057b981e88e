package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/agent/ack"
	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/internal/testetcd"
)

const (
	ackPrefix = "/confwatch/acks"
	webDir    = "/services/web"
)

// fakeLB is a load balancer's announcements as `confwatch run` makes them:
// an ack.Writer fed, for each change of webDir, with the outcome decide
// gives for that revision (decide may block: a slow reload).
type fakeLB struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startLB(t *testing.T, cli *clientv3.Client, name string, ttl time.Duration, decide func(ctx context.Context, rev int64) engine.Outcome) *fakeLB {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lb := &fakeLB{cancel: cancel}
	w := ack.NewWriter(ack.WriterOptions{Prefix: ackPrefix, Name: name, TTL: ttl})
	resp, err := cli.Get(ctx, webDir, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	announce := func(rev int64) {
		o := decide(ctx, rev)
		st := engine.Result{Name: "nginx", Outcome: o, DirRevs: map[string]int64{webDir: rev}}
		if o == engine.OutcomeFailed {
			st.Err = errors.New("reload nginx: exit status 1")
		}
		w.Applied([]engine.Result{st})
	}
	announce(resp.Header.Revision)
	lb.wg.Go(func() { w.Run(ctx, cli) })
	lb.wg.Go(func() {
		for wr := range cli.Watch(ctx, webDir, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)) {
			if n := len(wr.Events); n > 0 && ctx.Err() == nil {
				announce(wr.Events[n-1].Kv.ModRevision)
			}
		}
	})
	t.Cleanup(lb.stop)
	return lb
}

// stop ends the announcements, as a cut-off or killed agent: the lease is
// left to expire.
func (lb *fakeLB) stop() { lb.cancel(); lb.wg.Wait() }

func applied(context.Context, int64) engine.Outcome { return engine.OutcomeApplied }

// held applies only once released (or its context ends).
func held(release <-chan struct{}) func(context.Context, int64) engine.Outcome {
	return func(ctx context.Context, _ int64) engine.Outcome {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return engine.OutcomeApplied
	}
}

// announced waits until n load balancers announce webDir at a revision of
// at least rev.
func announced(t *testing.T, cli *clientv3.Client, n int, rev int64) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d load balancers announcing", n), func() bool {
		es, _, err := ack.List(context.Background(), cli, ackPrefix)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for _, e := range es {
			if d, ok := e.Record.Dirs[webDir]; ok && e.Live() && d.Revision >= rev {
				k++
			}
		}
		return k == n
	})
}

const barrierKey = webDir + "/10.0.0.5:8080"

// registerWithBarrier runs a registration with the drain barrier on and
// waits until it is registered and both load balancers have seen it.
func registerWithBarrier(t *testing.T, srv *testetcd.Server, cli *clientv3.Client, timeout time.Duration, lbs int) *running {
	t.Helper()
	r := start(t, cli, Options{Key: barrierKey, Value: "v", TTL: 5 * time.Second, AckPrefix: ackPrefix, DrainTimeout: timeout})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, barrierKey, "v", 0))
	resp, err := srv.Client.Get(context.Background(), barrierKey)
	if err != nil {
		t.Fatal(err)
	}
	announced(t, srv.Client, lbs, resp.Kvs[0].ModRevision)
	return r
}

// returned reports whether Run has returned, without waiting.
func (r *running) returned() bool {
	select {
	case err := <-r.done:
		r.done <- err
		return true
	default:
		return false
	}
}

// TestBarrierWaitsForEveryLoadBalancer: a stop revokes the key, then Run
// returns only once the slow load balancer, too, has applied the deletion;
// meanwhile STATUS= names it and the revision it is at.
func TestBarrierWaitsForEveryLoadBalancer(t *testing.T) {
	srv := testetcd.Start(t)
	cli := newClient(t, srv.Endpoint)
	var hold chan struct{}
	var mu sync.Mutex
	slow := func(ctx context.Context, rev int64) engine.Outcome {
		mu.Lock()
		h := hold
		mu.Unlock()
		if h != nil {
			return held(h)(ctx, rev)
		}
		return engine.OutcomeApplied
	}
	startLB(t, cli, "lb-a", 5*time.Second, applied)
	startLB(t, cli, "lb-b", 5*time.Second, slow)
	r := registerWithBarrier(t, srv, cli, time.Minute, 2)
	release := make(chan struct{})
	mu.Lock()
	hold = release
	mu.Unlock()
	r.cancel()
	waitFor(t, 10*time.Second, "STATUS= waiting for lb-b", func() bool {
		s := lastStatus(r.notes)
		return strings.HasPrefix(s, "deregistered; waiting for 1 of 2 load balancers: lb-b at rev ")
	})
	if r.returned() {
		t.Fatal("Run returned while lb-b had not applied the deletion")
	}
	close(release)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("statuses: %q\n%s", statuses(r.notes), r.log)
		}
	})
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if s := lastStatus(r.notes); !strings.HasPrefix(s, "deregistered; all 2 load balancers at rev >= ") {
		t.Errorf("last STATUS= %q", s)
	}
	if !strings.Contains(r.log.String(), "every load balancer reached the deletion") {
		t.Errorf("no log of the barrier passing:\n%s", r.log)
	}
}

// TestBarrierDropsAnExpiredLoadBalancer: a load balancer that stops
// announcing (cut off from etcd, its agent killed) stops counting once its
// lease expires, well before --drain-timeout.
func TestBarrierDropsAnExpiredLoadBalancer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 2s lease to expire")
	}
	srv := testetcd.Start(t)
	cli := newClient(t, srv.Endpoint)
	startLB(t, cli, "lb-a", 5*time.Second, applied)
	b := startLB(t, cli, "lb-b", 2*time.Second, applied)
	r := registerWithBarrier(t, srv, cli, 5*time.Minute, 2)
	b.stop()
	r.cancel()
	waitFor(t, 10*time.Second, "STATUS= waiting for lb-b", func() bool {
		return strings.Contains(strings.Join(statuses(r.notes), "\n"), "waiting for 1 of 2 load balancers: lb-b at rev ")
	})
	if err := r.stop(t); err != nil { // within 10s: long before the 5 minutes
		t.Fatal(err)
	}
	if s := lastStatus(r.notes); !strings.HasPrefix(s, "deregistered; all 1 load balancer at rev >= ") {
		t.Errorf("last STATUS= %q, want lb-b dropped", s)
	}
}

// TestBarrierTimeout: --drain-timeout bounds the wait for a load balancer
// that never applies the deletion.
func TestBarrierTimeout(t *testing.T) {
	srv := testetcd.Start(t)
	cli := newClient(t, srv.Endpoint)
	never := make(chan struct{})
	first := true
	var mu sync.Mutex
	startLB(t, cli, "lb-a", 5*time.Second, func(ctx context.Context, rev int64) engine.Outcome {
		mu.Lock()
		f := first
		first = false
		mu.Unlock()
		if !f { // the first announcement, then every change hangs
			return held(never)(ctx, rev)
		}
		return engine.OutcomeApplied
	})
	r := start(t, cli, Options{Key: barrierKey, Value: "v", TTL: 5 * time.Second, AckPrefix: ackPrefix, DrainTimeout: 500 * time.Millisecond})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, barrierKey, "v", 0))
	announced(t, srv.Client, 1, 1)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.log.String(), "drain barrier timed out") {
		t.Errorf("no log of the timeout:\n%s", r.log)
	}
}

// TestBarrierFailedApplyDoesNotCount: a load balancer whose apply of the
// deletion failed announces it as failed, at its older revision, and is
// waited for until an apply succeeds.
func TestBarrierFailedApplyDoesNotCount(t *testing.T) {
	srv := testetcd.Start(t)
	cli := newClient(t, srv.Endpoint)
	var mu sync.Mutex
	fail := false
	startLB(t, cli, "lb-a", 5*time.Second, func(ctx context.Context, rev int64) engine.Outcome {
		mu.Lock()
		f := fail
		mu.Unlock()
		if f {
			return engine.OutcomeFailed
		}
		return engine.OutcomeApplied
	})
	r := registerWithBarrier(t, srv, cli, time.Minute, 1)
	mu.Lock()
	fail = true
	mu.Unlock()
	r.cancel()
	waitFor(t, 10*time.Second, "STATUS= waiting for the failed lb-a", func() bool {
		s := lastStatus(r.notes)
		return strings.HasPrefix(s, "deregistered; waiting for 1 of 1 load balancer: lb-a at rev ") && strings.HasSuffix(s, " (failed)")
	})
	if r.returned() {
		t.Fatal("Run returned though lb-a's apply of the deletion failed")
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	srv.Put(t, webDir+"/other", "x") // the retry: a new change, applied
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func statuses(n *notes) []string { _, st, _ := n.snapshot(); return st }

// TestDrainIsWaitedAfterTheBarrier: --drain runs in full after the barrier
// has passed (for requests still in flight on the load balancers' old
// workers), not counted from the revoke: the barrier held by a slow load
// balancer is followed by STATUS= "draining 200ms", never a remainder.
func TestDrainIsWaitedAfterTheBarrier(t *testing.T) {
	srv := testetcd.Start(t)
	cli := newClient(t, srv.Endpoint)
	release := make(chan struct{})
	var armed atomic.Bool
	slow := func(ctx context.Context, rev int64) engine.Outcome {
		if armed.Load() {
			return held(release)(ctx, rev)
		}
		return engine.OutcomeApplied
	}
	startLB(t, cli, "lb-a", 5*time.Second, slow)
	r := start(t, cli, Options{Key: barrierKey, Value: "v", TTL: 5 * time.Second, AckPrefix: ackPrefix,
		DrainTimeout: time.Minute, Drain: 200 * time.Millisecond})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, barrierKey, "v", 0))
	resp, err := srv.Client.Get(context.Background(), barrierKey)
	if err != nil {
		t.Fatal(err)
	}
	announced(t, srv.Client, 1, resp.Kvs[0].ModRevision)
	armed.Store(true)
	r.cancel()
	waitFor(t, 10*time.Second, "STATUS= waiting for lb-a", func() bool {
		return strings.HasPrefix(lastStatus(r.notes), "deregistered; waiting for 1 of 1 load balancer: lb-a")
	})
	close(release)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	sts := statuses(r.notes)
	passed := slices.IndexFunc(sts, func(s string) bool { return strings.HasPrefix(s, "deregistered; all 1 load balancer at rev >= ") })
	drained := slices.Index(sts, "deregistered; draining 200ms before exit")
	if passed < 0 || drained < passed {
		t.Fatalf("want the barrier passing, then the whole drain; statuses: %q", sts)
	}
}
