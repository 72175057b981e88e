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
	skipShort(t, "1000 etcd writes")
	srv := testetcd.Start(t)
	h := start(t, srv.Endpoint, "")
	state := map[string]string{}
	prev := h.want(t, state)
	renders := map[string]bool{prev: true}
	transitions := 0 // changes that change the render
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
		r := h.want(t, state)
		renders[r] = true
		if r != prev {
			transitions++
		}
		prev = r
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
	n := len(h.rec.seen)
	if n == 0 || h.rec.seen[n-1] != final {
		t.Fatalf("the last of %d reloads did not see the final render", n)
	}
	// Renders follow the revisions and a file equal to dest is not swapped
	// nor reloaded, so each reload sees a render other than the one before:
	// at most one reload per change of the render (writes to sibling
	// prefixes, or of equal values, change nothing), plus the first.
	if n > transitions+1 {
		t.Fatalf("%d reloads for %d changes of the render", n, transitions)
	}
	t.Logf("1000 changes (%d of the render) gave %d reloads", transitions, n)
}

func TestSiblingPrefixDoesNotRender(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	h := start(t, srv.Endpoint, "")
	before := h.waitSeen(t, h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80"}), 10*time.Second) + 1
	srv.Put(t, "/services/apache2/b", "x")
	srv.Put(t, "/services/apache-b", "x")
	srv.Put(t, "/services/apache/c", "10.0.0.3:80")
	after := h.waitSeen(t, h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80", "/services/apache/c": "10.0.0.3:80"}), 10*time.Second) + 1
	if got := after - before; got != 1 {
		t.Fatalf("%d reloads: sibling prefixes must not trigger renders", got)
	}
}

func TestCompactionWhileDisconnected(t *testing.T) {
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	state := map[string]string{}
	var before int64 // the revision of the last write before the cut
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("/services/apache/k%02d", i)
		state[k] = fmt.Sprintf("10.0.0.%d:80", i)
		before = srv.Put(t, k, state[k])
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
	// The loop's health probe goes through the same cut connection: once it
	// reports etcd down, changes sent through a leaky cut would have arrived.
	h.waitEvent(t, "etcd up=false", 10*time.Second)
	if rev := h.lastChange(); rev > before {
		t.Fatalf("agent took a change at revision %d (> %d) through a cut connection", rev, before)
	}
	if got := h.read(); got == h.want(t, state) {
		t.Fatal("agent saw changes through a cut connection")
	}
	proxy.Restore()
	h.waitDest(t, h.want(t, state), 20*time.Second)
}

func TestEtcdRestartWhileKeysChange(t *testing.T) {
	skipShort(t, "stops and restarts etcd")
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
	h.waitEvent(t, "etcd up=false", 10*time.Second) // the loop knows etcd is gone
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
	skipShort(t, "a burst paced over a second")
	srv := testetcd.Start(t)
	h := start(t, srv.Endpoint, `min_reload_interval = "250ms"`)
	srv.Put(t, "/services/apache/seed", "10.9.9.9:80")
	base := h.waitSeen(t, h.want(t, map[string]string{"/services/apache/seed": "10.9.9.9:80"}), 10*time.Second) + 1
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
	final := h.want(t, state)
	h.waitDest(t, final, 10*time.Second)
	// A marker written after the burst and seen by a reload: every reload of
	// the burst has run before it (one group applies one at a time).
	state["/services/apache/marker"] = "10.9.9.8:80"
	srv.Put(t, "/services/apache/marker", state["/services/apache/marker"])
	marker := h.waitSeen(t, h.want(t, state), 10*time.Second)
	reloads := marker - base
	h.rec.mu.Lock()
	last := h.rec.seen[marker-1] // the seed's reload, if none came between
	h.rec.mu.Unlock()
	if last != final {
		t.Fatalf("the last reload of the burst saw %q, want the final render %q", last, final)
	}
	// At most one reload per interval over the burst, plus the first and the final one.
	limit := int(took/(250*time.Millisecond)) + 2
	if reloads > limit {
		t.Fatalf("%d reloads for a burst of %s (limit %d)", reloads, took, limit)
	}
	t.Logf("burst of 500 puts over %s: %d reloads", took, reloads)
}

func TestReloadFailureIsRolledBackAndRetried(t *testing.T) {
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	h := start(t, srv.Endpoint, "")
	first := h.want(t, map[string]string{"/services/apache/a": "10.0.0.1:80"})
	h.waitSeen(t, first, 10*time.Second) // reloaded, not only written: the next reload is the one to fail
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
	h.waitReloads(t, 3, 10*time.Second)
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

// skipShort skips a heavy test under -short, saying why it is heavy.
func skipShort(t *testing.T, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: " + why)
	}
}
