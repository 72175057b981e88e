package watch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

func TestRandomChurnConverges(t *testing.T) {
	srv := testetcd.Start(t)
	h := start(t, srv.Endpoint, "")
	state := map[string]string{}
	renders := map[string]bool{h.want(t, state): true}
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"/services/apache/", "/services/apache2/", "/services/apache-x/", "/services/apache"}
	for i := 0; i < 1000; i++ {
		p := prefixes[rng.IntN(len(prefixes))]
		key := fmt.Sprintf("%s10.0.%d.%d:80", p, rng.IntN(5), rng.IntN(40))
		if p == "/services/apache" {
			key = p
		}
		if _, ok := state[key]; ok && rng.IntN(3) == 0 {
			srv.Delete(t, key)
			delete(state, key)
		} else {
			v := fmt.Sprintf("10.%d.0.%d:%d", rng.IntN(3), rng.IntN(250), 8000+i)
			srv.Put(t, key, v)
			state[key] = v
		}
		renders[h.want(t, state)] = true
	}
	final := h.want(t, state)
	h.waitDest(t, final, 20*time.Second)
	h.stop(t)
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	for i, s := range h.rec.seen {
		if !renders[s] {
			t.Fatalf("reload %d saw a file that is no complete render of any state:\n%s", i, s)
		}
	}
	if n := len(h.rec.seen); n == 0 || n > 1001 {
		t.Fatalf("%d reloads for 1000 changes", n)
	}
	t.Logf("1000 changes gave %d reloads", len(h.rec.seen))
}

func TestSiblingPrefixDoesNotRender(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	h := start(t, srv.Endpoint, "")
	h.waitDest(t, h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80"}), 10*time.Second)
	before := h.rec.count()
	srv.Put(t, "/services/apache2/b", "x")
	srv.Put(t, "/services/apache-b", "x")
	srv.Put(t, "/services/apache/c", "10.0.0.3:80")
	h.waitDest(t, h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80", "/services/apache/c": "10.0.0.3:80"}), 10*time.Second)
	if got := h.rec.count() - before; got != 1 {
		t.Fatalf("%d reloads: sibling prefixes must not trigger renders", got)
	}
}

func TestCompactionWhileDisconnected(t *testing.T) {
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	state := map[string]string{}
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("/services/apache/k%02d", i)
		state[k] = fmt.Sprintf("10.0.0.%d:80", i)
		srv.Put(t, k, state[k])
	}
	h := start(t, proxy.Endpoint, "")
	h.waitDest(t, h.want(t, state), 10*time.Second)
	proxy.Cut()
	for i := 0; i < 10; i++ {
		k := fmt.Sprintf("/services/apache/k%02d", i)
		srv.Delete(t, k)
		delete(state, k)
	}
	for i := 20; i < 25; i++ {
		k := fmt.Sprintf("/services/apache/k%02d", i)
		state[k] = fmt.Sprintf("10.0.1.%d:80", i)
		srv.Put(t, k, state[k])
	}
	rev := srv.Put(t, "/other", "x")
	if _, err := srv.Client.Compact(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := h.read(); got == h.want(t, state) {
		t.Fatal("agent saw changes through a cut connection")
	}
	proxy.Restore()
	h.waitDest(t, h.want(t, state), 20*time.Second)
}

func TestEtcdRestartWhileKeysChange(t *testing.T) {
	srv := testetcd.Start(t)
	state := map[string]string{"/services/apache/a": "10.0.0.1:80", "/services/apache/b": "10.0.0.2:80"}
	for k, v := range state {
		srv.Put(t, k, v)
	}
	h := start(t, srv.Endpoint, "")
	good := h.want(t, state)
	h.waitDest(t, good, 10*time.Second)
	t0 := time.Now()
	srv.Stop()
	t.Logf("stop took %s", time.Since(t0))
	time.Sleep(time.Second)
	if h.read() != good {
		t.Fatal("dest changed while etcd was down")
	}
	t0 = time.Now()
	srv.Restart(t)
	t.Logf("restart took %s", time.Since(t0))
	t0 = time.Now()
	srv.Delete(t, "/services/apache/a")
	delete(state, "/services/apache/a")
	state["/services/apache/c"] = "10.0.0.3:80"
	srv.Put(t, "/services/apache/c", "10.0.0.3:80")
	h.waitDest(t, h.want(t, state), 30*time.Second)
	t.Logf("converged %s after the restart", time.Since(t0))
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Logf("etcd transitions seen: %v", h.events)
}

func TestBurstWithMinReloadInterval(t *testing.T) {
	srv := testetcd.Start(t)
	h := start(t, srv.Endpoint, `min_reload_interval = "250ms"`)
	srv.Put(t, "/services/apache/seed", "10.9.9.9:80")
	h.waitDest(t, h.want(t, map[string]string{"/services/apache/seed": "10.9.9.9:80"}), 10*time.Second)
	base := h.rec.count()
	state := map[string]string{"/services/apache/seed": "10.9.9.9:80"}
	start := time.Now()
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("/services/apache/b%03d", i%50)
		state[k] = fmt.Sprintf("10.1.%d.%d:80", i/250, i%250)
		srv.Put(t, k, state[k])
		if d := time.Until(start.Add(time.Duration(i+1) * 2 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
	}
	took := time.Since(start)
	h.waitDest(t, h.want(t, state), 10*time.Second)
	time.Sleep(400 * time.Millisecond) // nothing more may come
	reloads := h.rec.count() - base
	// At most one reload per interval over the burst, plus the first and the final one.
	limit := int(took/(250*time.Millisecond)) + 2
	if reloads > limit || reloads < 1 {
		t.Fatalf("%d reloads for a burst of %s (limit %d)", reloads, took, limit)
	}
	t.Logf("burst of 500 puts over %s: %d reloads", took, reloads)
}

func TestReloadFailureIsRolledBackAndRetried(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	h := start(t, srv.Endpoint, "")
	first := h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80"})
	h.waitDest(t, first, 10*time.Second)
	broken := true
	h.rec.mu.Lock()
	h.rec.fail = func(int) error {
		if broken {
			return errors.New("reload refused")
		}
		return nil
	}
	h.rec.mu.Unlock()
	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	// The failed reload is rolled back: the reload after the rollback sees
	// the first render again.
	deadline := time.Now().Add(10 * time.Second)
	for h.rec.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	h.rec.mu.Lock()
	afterRollback := h.rec.seen[2]
	h.rec.mu.Unlock()
	if afterRollback != first {
		t.Fatalf("the reload after the rollback saw %q, want the rolled back %q", afterRollback, first)
	}
	h.rec.mu.Lock()
	broken = false
	h.rec.mu.Unlock()
	h.waitDest(t, h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80", "/services/apache/b": "10.0.0.2:80"}), 15*time.Second)
}

// TestTransactionAcrossDirectoriesRendersWhole: a resource reading two
// directories never renders a state between the halves of one etcd
// transaction (a backend moved from one pool to the other).
func TestTransactionAcrossDirectoriesRendersWhole(t *testing.T) {
	srv := testetcd.Start(t)
	const n = 5
	for i := 0; i < n; i++ {
		srv.Put(t, fmt.Sprintf("/pool/blue/b%d", i), "x")
	}
	tmpl := `blue={{ len (ls "/pool/blue") }} green={{ len (ls "/pool/green") }} total={{ add (len (ls "/pool/blue")) (len (ls "/pool/green")) }}` + "\n"
	h := startWith(t, srv.Endpoint, tmpl, `["/pool/blue", "/pool/green"]`, "")
	h.waitDest(t, fmt.Sprintf("blue=%d green=0 total=%d\n", n, n), 10*time.Second)
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		from, to := "/pool/blue/", "/pool/green/"
		if i%10 >= 5 {
			from, to = to, from
		}
		k := fmt.Sprintf("b%d", i%5)
		if _, err := srv.Client.Txn(ctx).Then(clientv3.OpDelete(from+k), clientv3.OpPut(to+k, "x")).Commit(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.waitDest(t, fmt.Sprintf("blue=%d green=0 total=%d\n", n, n), 10*time.Second)
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	for _, seen := range h.rec.seen {
		if !strings.HasSuffix(seen, fmt.Sprintf("total=%d\n", n)) {
			t.Fatalf("rendered a state inside a transaction: %q (of %d renders)", seen, len(h.rec.seen))
		}
	}
	t.Logf("%d renders, all whole", len(h.rec.seen))
}
