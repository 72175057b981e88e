package systemd

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// fakeDialer hands out the buses in order and counts dials.
type fakeDialer struct {
	mu    sync.Mutex
	buses []*fakeBus
	err   error
	hang  chan struct{} // when set, dial blocks until it is closed
	dials int
}

func (d *fakeDialer) dial(ctx context.Context) (bus, error) {
	if d.hang != nil {
		<-d.hang
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dials++
	if d.err != nil {
		return nil, d.err
	}
	b := d.buses[0]
	d.buses = d.buses[1:]
	return b, nil
}

func healthy() *fakeBus {
	return &fakeBus{load: "loaded", states: []string{"active"}, result: "done"}
}

func newTestManager(d *fakeDialer) *Manager {
	m := NewManager(nil)
	m.dial = d.dial
	m.settle = fast
	return m
}

func TestManagerConnections(t *testing.T) {
	ctx := context.Background()
	first, second, third := healthy(), healthy(), healthy()
	d := &fakeDialer{buses: []*fakeBus{first, second, third}}
	m := newTestManager(d)
	if d.dials != 0 {
		t.Fatal("NewManager dialed")
	}
	for range 2 {
		if err := m.Reload(ctx, "nginx.service", ModeReload, false); err != nil {
			t.Fatal(err)
		}
	}
	if d.dials != 1 {
		t.Fatalf("dials = %d after two reloads, want 1", d.dials)
	}

	first.propErr = classify(io.ErrUnexpectedEOF) // transport error: drop and redial
	if err := m.Reload(ctx, "nginx.service", ModeReload, false); !errors.Is(err, ErrConnection) {
		t.Fatalf("err = %v, want ErrConnection", err)
	}
	if !first.closed {
		t.Error("broken connection not closed")
	}
	if err := m.Reload(ctx, "nginx.service", ModeReload, false); err != nil || d.dials != 2 {
		t.Fatalf("after a transport error: err = %v, dials = %d, want nil, 2", err, d.dials)
	}

	second.setDead() // dropped between calls: redial before use
	if err := m.Reload(ctx, "nginx.service", ModeReload, false); err != nil || d.dials != 3 {
		t.Fatalf("after a drop: err = %v, dials = %d, want nil, 3", err, d.dials)
	}

	third.result = "failed" // a failed job is not a connection problem
	if err := m.Reload(ctx, "nginx.service", ModeReload, false); !errors.Is(err, ErrJobFailed) || d.dials != 3 || third.closed {
		t.Fatalf("failed job: err = %v, dials = %d, closed = %v", err, d.dials, third.closed)
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if !third.closed {
		t.Error("Close did not close the connection")
	}
	if err := m.Reload(ctx, "nginx.service", ModeReload, false); !errors.Is(err, ErrConnection) {
		t.Errorf("after Close: err = %v, want ErrConnection", err)
	}
}

func TestManagerDialFailures(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		m := newTestManager(&fakeDialer{err: errors.Join(ErrConnection, io.EOF)})
		if err := m.Reload(context.Background(), "nginx.service", ModeReload, false); !errors.Is(err, ErrConnection) {
			t.Fatalf("err = %v, want ErrConnection", err)
		}
	})
	t.Run("hangs", func(t *testing.T) {
		b := healthy()
		d := &fakeDialer{buses: []*fakeBus{b}, hang: make(chan struct{})}
		m := newTestManager(d)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		err := m.Reload(ctx, "nginx.service", ModeReload, false)
		if !errors.Is(err, ErrConnection) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrConnection and DeadlineExceeded", err)
		}
		close(d.hang) // the late connection is closed, not leaked
		deadline := time.Now().Add(time.Second)
		for !b.closedNow() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if !b.closedNow() {
			t.Error("connection dialed after the deadline was not closed")
		}
	})
}

func TestManagerRejectsBadInput(t *testing.T) {
	d := &fakeDialer{}
	m := newTestManager(d)
	if err := m.Reload(context.Background(), "nginx.service", "kick", false); !errors.Is(err, ErrBadMode) {
		t.Errorf("mode kick: err = %v, want ErrBadMode", err)
	}
	if err := m.Reload(context.Background(), "nginx", ModeReload, false); !errors.Is(err, ErrNoUnit) {
		t.Errorf("unit nginx: err = %v, want ErrNoUnit", err)
	}
	if d.dials != 0 {
		t.Errorf("dialed for invalid input")
	}
}

func TestReloader(t *testing.T) {
	b := &fakeBus{load: "loaded", states: []string{"inactive", "active"}, result: "done"}
	m := newTestManager(&fakeDialer{buses: []*fakeBus{b}})
	r := Reloader{M: m, Unit: "nginx.service", StartIfInactive: true}
	if got, want := r.String(), "systemd reload nginx.service (start if inactive)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := (Reloader{Unit: "app.service", Mode: ModeRestart}).String(), "systemd restart app.service"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	var _ interface {
		Reload(context.Context) error
		String() string
	} = r
	if err := r.Reload(context.Background()); err != nil || len(b.kinds) != 1 || b.kinds[0] != jobStart {
		t.Errorf("Reload: err = %v, jobs = %q, want nil, [start]", err, b.kinds)
	}
}
