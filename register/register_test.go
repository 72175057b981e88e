package register

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/testetcd"
)

const (
	key    = "/services/web/10.0.0.5:8080"
	secret = `{"addr":"10.0.0.5:8080","token":"s3cret"}`
)

// Restores are measured and logged; the assertion is lenient (noisy machines).
const restoreWithin = 3 * time.Second

func TestRegisterThenStop(t *testing.T) {
	srv := testetcd.Start(t)
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: secret, TTL: 5 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, secret, 0))
	_, lease := get(t, srv.Client, key)
	ttl, err := srv.Client.TimeToLive(context.Background(), lease)
	if err != nil || ttl.GrantedTTL != 5 {
		t.Fatalf("lease %x: granted TTL %v, err %v; want 5s", lease, ttl.GrantedTTL, err)
	}
	waitFor(t, time.Second, "READY=1", func() bool { n, _, _ := r.notes.snapshot(); return n == 1 })
	if st := lastStatus(r.notes); !hasPrefix(st, "registered "+key+" (lease ") || !strings.Contains(st, "ttl 5s") {
		t.Errorf("status %q", st)
	}
	t0 := time.Now()
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("Run returned %v after cancel", time.Since(t0))
	if v, l := get(t, srv.Client, key); v != "" || l != 0 {
		t.Errorf("right after Run returned the key is still there (lease %x)", l)
	}
	if st := lastStatus(r.notes); st != "unregistered: stopped" {
		t.Errorf("final status %q", st)
	}
	if strings.Contains(r.log.String(), "s3cret") {
		t.Errorf("the value was logged above debug level:\n%s", r.log)
	}
}

func TestRestoresRegistration(t *testing.T) {
	srv := testetcd.Start(t)
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: secret, TTL: 5 * time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, secret, 0))
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		newLease bool // the old lease cannot come back
		break_   func(lease clientv3.LeaseID) error
	}{
		{"lease revoked", true, func(l clientv3.LeaseID) error { _, err := srv.Client.Revoke(ctx, l); return err }},
		{"key deleted", false, func(clientv3.LeaseID) error { _, err := srv.Client.Delete(ctx, key); return err }},
		{"key overwritten", false, func(clientv3.LeaseID) error { _, err := srv.Client.Put(ctx, key, "intruder"); return err }},
		{"key overwritten under another lease", false, func(clientv3.LeaseID) error {
			g, err := srv.Client.Grant(ctx, 60)
			if err == nil {
				_, err = srv.Client.Put(ctx, key, secret, clientv3.WithLease(g.ID))
			}
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, old := get(t, srv.Client, key)
			if err := tt.break_(old); err != nil {
				t.Fatal(err)
			}
			not := clientv3.LeaseID(-1)
			if tt.newLease {
				not = old
			}
			took := waitFor(t, restoreWithin, "restored", func() bool {
				v, l := get(t, srv.Client, key)
				return v == secret && l != 0 && l != not && leaseAlive(t, srv.Client, l) && (tt.newLease || l == old)
			})
			t.Logf("%s: restored in %v", tt.name, took.Round(time.Millisecond))
		})
	}
	if _, _, changes := r.notes.snapshot(); len(changes) < 2 || changes[0] != "up" {
		t.Errorf("OnChange calls %v", changes)
	}
}

// leaseAlive reports whether l exists and is being kept alive by someone.
func leaseAlive(t *testing.T, cli *clientv3.Client, l clientv3.LeaseID) bool {
	r, err := cli.TimeToLive(context.Background(), l)
	return err == nil && r.TTL > 0
}

func TestPutUnderRevokedLeaseIsLeaseNotFound(t *testing.T) {
	srv := testetcd.Start(t)
	ctx := context.Background()
	g, err := srv.Client.Grant(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Revoke(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client.Put(ctx, key, "v", clientv3.WithLease(g.ID))
	if !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		t.Fatalf("put under a revoked lease: %v, want ErrLeaseNotFound (ensure relies on it)", err)
	}
}

func TestHealthGating(t *testing.T) {
	srv := testetcd.Start(t)
	var healthy atomic.Bool
	healthy.Store(true)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer backend.Close()
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", TTL: 5 * time.Second,
		Check: HTTPCheck{URL: backend.URL}, Interval: 50 * time.Millisecond, Rise: 2, Fall: 2})
	waitFor(t, 5*time.Second, "registered after the first check", registered(t, srv.Client, key, "v", 0))

	healthy.Store(false)
	took := waitFor(t, restoreWithin, "removed when unhealthy", absent(t, srv.Client, key))
	t.Logf("removed %v after the backend failed (fall 2, interval 50ms)", took.Round(time.Millisecond))
	waitFor(t, time.Second, "status unhealthy", func() bool {
		st := lastStatus(r.notes)
		return hasPrefix(st, "unregistered: unhealthy: ") && strings.Contains(st, "503")
	})
	healthy.Store(true)
	took = waitFor(t, restoreWithin, "back when healthy", registered(t, srv.Client, key, "v", 0))
	t.Logf("back %v after the backend recovered (rise 2)", took.Round(time.Millisecond))
	waitFor(t, time.Second, "OnChange up,down,up", func() bool {
		_, _, changes := r.notes.snapshot()
		return strings.Join(changes, ",") == "up,down,up"
	})
	if n, _, _ := r.notes.snapshot(); n != 1 {
		t.Errorf("READY sent %d times, want 1", n)
	}
}

func TestUnhealthyAtStartIsReadyButUnregistered(t *testing.T) {
	srv := testetcd.Start(t)
	var checks atomic.Int32
	fail := CheckFunc(func(context.Context) error { checks.Add(1); return errors.New("connection refused") })
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", Check: fail, Interval: 50 * time.Millisecond})
	waitFor(t, 5*time.Second, "READY=1 after the first check", func() bool { n, _, _ := r.notes.snapshot(); return n == 1 })
	if st := lastStatus(r.notes); st != "unregistered: unhealthy: connection refused" {
		t.Errorf("status %q", st)
	}
	// The checks send their results unbuffered, so the fourth check starts
	// only once Run has taken the third result, after it acted on the second
	// (and synced etcd): three failures have been seen, none registered.
	waitFor(t, 5*time.Second, "a fourth check", func() bool { return checks.Load() >= 4 })
	if v, _ := get(t, srv.Client, key); v != "" {
		t.Errorf("registered while unhealthy")
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Options
		want string
	}{
		{"no key", Options{Value: "v"}, "--key is empty"},
		{"relative key", Options{Key: "services/x", Value: "v"}, `--key "services/x" does not start with /`},
		{"value not host:port", Options{Key: "/k", Value: "10.0.0.1:80;", ValueFormat: FormatHostPort}, "--value is not host:port"},
		{"unknown format", Options{Key: "/k", Value: "v", ValueFormat: "url"}, `--value-format "url"`},
		{"ttl below 1s", Options{Key: "/k", TTL: 500 * time.Millisecond}, "--ttl 500ms is not a whole number of seconds, at least 1s (etcd lease TTLs are): use 1s"},
		{"ttl not whole seconds", Options{Key: "/k", TTL: 1500 * time.Millisecond}, "use 2s"},
		{"negative ttl", Options{Key: "/k", TTL: -time.Second}, "--ttl must be positive, got -1s"},
		{"negative interval", Options{Key: "/k", Interval: -time.Second}, "--interval must be positive, got -1s"},
		{"negative rise", Options{Key: "/k", Rise: -1}, "--rise must be at least 1, got -1"},
		{"negative fall", Options{Key: "/k", Fall: -2}, "--fall must be at least 1, got -2"},
		{"negative drain", Options{Key: "/k", Drain: -time.Second}, "--drain must not be negative, got -1s"},
		{"negative start grace", Options{Key: "/k", StartGrace: -time.Second}, "--start-grace must not be negative, got -1s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), nil, tt.o)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run: %v, want ErrInvalid and %q", err, tt.want)
			}
		})
	}
}

func TestNearestTTL(t *testing.T) {
	for _, tt := range []struct {
		in, want time.Duration
	}{
		{time.Second, time.Second},
		{30 * time.Second, 30 * time.Second},
		{500 * time.Millisecond, time.Second},
		{time.Millisecond, time.Second},
		{1400 * time.Millisecond, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{2*time.Minute + 1, 2 * time.Minute},
	} {
		t.Run(tt.in.String(), func(t *testing.T) {
			if got := NearestTTL(tt.in); got != tt.want {
				t.Errorf("NearestTTL(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestTTLBelowEtcdMinimumIsRaised pins what etcd does with a 1s TTL: it
// grants its minimum instead (1.5 election timeouts, rounded up to whole
// seconds), without an error, and STATUS= reports the TTL granted.
func TestTTLBelowEtcdMinimumIsRaised(t *testing.T) {
	srv := testetcd.Start(t)
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", TTL: time.Second})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, "v", 0))
	_, lease := get(t, srv.Client, key)
	ttl, err := srv.Client.TimeToLive(context.Background(), lease)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("asked for 1s, etcd granted %ds", ttl.GrantedTTL)
	if ttl.GrantedTTL < 1 {
		t.Fatalf("granted TTL %ds", ttl.GrantedTTL)
	}
	waitFor(t, time.Second, "STATUS= with the granted TTL", func() bool {
		return strings.Contains(lastStatus(r.notes), fmt.Sprintf("ttl %ds", ttl.GrantedTTL))
	})
}
