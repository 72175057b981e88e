package systemd

import (
	"context"
	"errors"
	"testing"
)

func TestUnitType(t *testing.T) {
	for unit, want := range map[string]string{"nginx.service": "Service", "x.scope": "Scope", "a-b.slice": "Slice", "bare": "Service"} {
		if got := unitType(unit); got != want {
			t.Errorf("unitType(%q) = %q, want %q", unit, got, want)
		}
	}
}

func TestControlGroupFake(t *testing.T) {
	f := &fakeBus{cgroup: "/system.slice/nginx.service"}
	m := NewManager(nil)
	m.dial = func(context.Context) (bus, error) { return f, nil }
	defer m.Close()
	if cg, err := m.ControlGroup(context.Background(), "nginx.service"); err != nil || cg != f.cgroup {
		t.Fatalf("ControlGroup = %q, %v", cg, err)
	}
	if _, err := m.ControlGroup(context.Background(), "bad/name"); !errors.Is(err, ErrNoUnit) {
		t.Fatalf("invalid name: err = %v, want ErrNoUnit", err)
	}
}
