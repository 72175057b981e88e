package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestDrainWaitsUntilCut: a stop while registered revokes the lease first,
// then Run keeps going, STATUS= saying so, until CutDrain is closed.
func TestDrainWaitsUntilCut(t *testing.T) {
	srv := testetcd.Start(t)
	cut := make(chan struct{})
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", TTL: 5 * time.Second, Drain: time.Hour, CutDrain: cut})
	waitFor(t, 5*time.Second, "registered", registered(t, srv.Client, key, "v", 0))
	r.cancel()
	waitFor(t, 10*time.Second, "drain STATUS=", func() bool { return lastStatus(r.notes) == "deregistered; draining 1h0m0s before exit" })
	if _, st, _ := r.notes.snapshot(); !slices.Contains(st, "unregistered: stopped") {
		t.Errorf("no final status before the drain; got %q", st)
	}
	if v, _ := get(t, srv.Client, key); v != "" {
		t.Error("the key is still there while draining")
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned during an hour's drain: %v", err)
	default:
	}
	close(cut)
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(r.log.String(), "drain cut short") {
		t.Errorf("no log of the drain cut short:\n%s", r.log)
	}
}

// TestNoDrainWhenNotRegistered: with no key held at the stop there is
// nothing to drain, so Run returns without waiting.
func TestNoDrainWhenNotRegistered(t *testing.T) {
	srv := testetcd.Start(t)
	fail := CheckFunc(func(context.Context) error { return errors.New("connection refused") })
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", Check: fail, Interval: 50 * time.Millisecond, Drain: time.Hour})
	waitFor(t, 5*time.Second, "READY=1 after the first check", func() bool { n, _, _ := r.notes.snapshot(); return n == 1 })
	if err := r.stop(t); err != nil { // fails the test unless Run returns within 10s: no hour's drain
		t.Fatalf("Run: %v", err)
	}
	if _, st, _ := r.notes.snapshot(); slices.ContainsFunc(st, func(s string) bool { return strings.Contains(s, "draining") }) {
		t.Errorf("drain status sent: %q", st)
	}
	if !strings.Contains(r.log.String(), "not registered when stopped: no drain") {
		t.Errorf("no log of the skipped drain:\n%s", r.log)
	}
}

// TestStopDuringThePutStillDrains: a stop that lands while the put is in
// flight (the key is already visible to load balancers, the put's answer not
// yet read) still drains: the key may have been seen, so it is treated as
// registered. The stop is timed by a watch that cancels Run the moment the
// put reaches etcd; each round is one chance at the window.
func TestStopDuringThePutStillDrains(t *testing.T) {
	srv := testetcd.Start(t)
	cli := newClient(t, srv.Endpoint)
	for i := range 20 {
		k := fmt.Sprintf("%s-%d", key, i)
		wctx, wcancel := context.WithCancel(context.Background())
		wch := srv.Client.Watch(wctx, k)
		r := start(t, cli, Options{Key: k, Value: "v", TTL: 5 * time.Second, Drain: time.Millisecond})
		for resp := range wch {
			if len(resp.Events) > 0 {
				break
			}
		}
		if err := r.stop(t); err != nil {
			t.Fatalf("round %d: Run: %v", i, err)
		}
		wcancel()
		if strings.Contains(r.log.String(), "not registered when stopped") {
			t.Fatalf("round %d: the key was in etcd at the stop, but no drain:\n%s", i, r.log)
		}
	}
}

// TestRefused: only etcd's own refusals say a put was not applied; a
// cancelled, timed-out or unanswered put may have been.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{rpctypes.ErrLeaseNotFound, true},
		{rpctypes.ErrPermissionDenied, true},
		{fmt.Errorf("put: %w", rpctypes.ErrLeaseNotFound), true},
		{context.Canceled, false},
		{fmt.Errorf("put: %w", context.DeadlineExceeded), false},
		{status.Error(codes.Unavailable, "connection refused"), false},
		{status.Error(codes.DeadlineExceeded, "deadline"), false},
		{errors.New("something else"), false},
	} {
		if got := refused(tc.err); got != tc.want {
			t.Errorf("refused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
