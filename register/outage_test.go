package register

import (
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

func TestCrashLeavesKeyUntilTTL(t *testing.T) {
	skipShort(t)
	srv := testetcd.Start(t)
	own := newClient(t, srv.Endpoint)
	r := start(t, own, Options{Key: key, Value: "v", TTL: 2 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, "v", 0))
	crash := time.Now()
	_ = own.Close() // keep-alives stop; nothing is revoked
	select {
	case err := <-r.done:
		if err == nil {
			t.Error("Run returned nil after its client was closed")
		}
		r.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5s after its client was closed")
	}
	if v, _ := get(t, srv.Client, key); v != "v" {
		t.Fatal("key gone right after the crash: it was revoked, not left to expire")
	}
	waitFor(t, 5*time.Second, "expired", absent(t, srv.Client, key))
	if took := time.Since(crash); took < time.Second {
		t.Errorf("key gone %v after the crash, before the 2s TTL could run out", took)
	} else {
		t.Logf("key expired %v after the crash (TTL 2s)", took.Round(time.Millisecond))
	}
}

func TestOutageLongerThanTTL(t *testing.T) {
	skipShort(t)
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	r := start(t, newClient(t, proxy.Endpoint), Options{Key: key, Value: "v", TTL: 2 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, "v", 0))
	_, old := get(t, srv.Client, key)
	proxy.Cut()
	waitFor(t, 6*time.Second, "expired during the outage", absent(t, srv.Client, key))
	time.Sleep(1500 * time.Millisecond) // stay down well past the TTL
	proxy.Restore()
	took := waitFor(t, restoreWithin, "registered again", registered(t, srv.Client, key, "v", old))
	t.Logf("registered again %v after etcd was reachable again", took.Round(time.Millisecond))
	waitFor(t, time.Second, "status registered", func() bool { return hasPrefix(lastStatus(r.notes), "registered ") })
}

func TestShortOutageKeepsLease(t *testing.T) {
	skipShort(t)
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	r := start(t, newClient(t, proxy.Endpoint), Options{Key: key, Value: "v", TTL: 5 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, "v", 0))
	_, lease := get(t, srv.Client, key)
	proxy.Cut()
	time.Sleep(1500 * time.Millisecond)
	proxy.Restore()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if v, l := get(t, srv.Client, key); v != "v" || l != lease {
			t.Fatalf("after an outage shorter than the TTL: value %q lease %x, want lease %x kept", v, l, lease)
		}
	}
	if _, _, changes := r.notes.snapshot(); len(changes) != 1 {
		t.Errorf("OnChange %v, want only the first registration", changes)
	}
}

func TestEtcdDownAtStart(t *testing.T) {
	skipShort(t)
	srv := testetcd.Start(t)
	proxy := testetcd.NewProxy(t, srv)
	proxy.Cut()
	r := start(t, newClient(t, proxy.Endpoint), Options{Key: key, Value: "v", TTL: 5 * time.Second})
	waitFor(t, 10*time.Second, "status says why", func() bool { return hasPrefix(lastStatus(r.notes), "unregistered: etcd: ") })
	if n, _, _ := r.notes.snapshot(); n != 0 {
		t.Error("READY=1 before the first registration")
	}
	time.Sleep(2 * time.Second) // let gRPC's own reconnect backoff grow
	proxy.Restore()
	took := waitFor(t, restoreWithin, "registered", registered(t, srv.Client, key, "v", 0))
	t.Logf("registered %v after etcd became reachable", took.Round(time.Millisecond))
	waitFor(t, time.Second, "READY=1", func() bool { n, _, _ := r.notes.snapshot(); return n == 1 })
}

// skipShort skips tests that wait out TTLs and outages under -short.
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out lease TTLs and outages")
	}
}
