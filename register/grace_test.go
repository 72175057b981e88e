package register

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// TestStartGraceRegistersAtTheFirstAnswer: a backend that starts listening
// about 1.5s after its sidekick is registered once it answers, although the
// interval (1h) and rise (3) would allow a registration only hours later
// without the grace.
func TestStartGraceRegistersAtTheFirstAnswer(t *testing.T) {
	srv := testetcd.Start(t)
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := probe.Addr().String()
	must(t, probe.Close()) // nothing listens until the backend "starts"
	var checks atomic.Int32
	check := CheckFunc(func(ctx context.Context) error { checks.Add(1); return TCPCheck{Addr: addr}.Check(ctx) })
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", Check: check,
		Interval: time.Hour, Rise: 3, StartGrace: 30 * time.Second})
	waitFor(t, 5*time.Second, "a failing check during the grace", func() bool {
		return strings.HasPrefix(lastStatus(r.notes), "unregistered: starting: ")
	})
	backend := make(chan net.Listener, 1)
	timer := time.AfterFunc(1500*time.Millisecond, func() {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("backend: %v", err)
		}
		backend <- l
	})
	t.Cleanup(func() {
		timer.Stop()
		select {
		case l := <-backend:
			_ = l.Close()
		default:
		}
	})
	waitFor(t, 10*time.Second, "registered at the backend's first answer", registered(t, srv.Client, key, "v", 0))
	if n := checks.Load(); n < 2 {
		t.Errorf("%d checks before registering, want the failures of the grace and the first pass", n)
	}
	waitFor(t, 5*time.Second, "OnChange up", func() bool {
		_, _, changes := r.notes.snapshot()
		return strings.Join(changes, ",") == "up"
	})
	if n, _, _ := r.notes.snapshot(); n != 1 {
		t.Errorf("READY sent %d times, want once", n)
	}
	if got := strings.Count(r.log.String(), "backend not answering yet"); got != 1 {
		t.Errorf("the grace's failures logged %d times, want once:\n%s", got, r.log.String())
	}
}

// TestAfterTheStartGraceRiseApplies: a backend that never answers within the
// grace is unhealthy after it, and then needs --rise passes.
func TestAfterTheStartGraceRiseApplies(t *testing.T) {
	srv := testetcd.Start(t)
	var up atomic.Bool
	var passes atomic.Int32
	check := CheckFunc(func(context.Context) error {
		if !up.Load() {
			return errors.New("connection refused")
		}
		passes.Add(1)
		return nil
	})
	r := start(t, newClient(t, srv.Endpoint), Options{Key: key, Value: "v", Check: check,
		Interval: 50 * time.Millisecond, Rise: 3, StartGrace: 300 * time.Millisecond})
	waitFor(t, 5*time.Second, "unhealthy after the grace", func() bool {
		return lastStatus(r.notes) == "unregistered: unhealthy: connection refused"
	})
	up.Store(true)
	waitFor(t, 5*time.Second, "registered after rise passes", registered(t, srv.Client, key, "v", 0))
	if n := passes.Load(); n < 3 {
		t.Errorf("registered after %d passes, want rise (3)", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
