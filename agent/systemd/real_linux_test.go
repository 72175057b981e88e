package systemd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/internal/sdbox"
)

// These tests drive a real systemd 252 booted in an sdbox (root only; skipped otherwise)
// from this process, over D-Bus, through the box's private-socket relay.

const (
	sleeper    = "[Service]\nExecStart=/bin/sleep infinity\nExecReload=/bin/true\n"
	failReload = "[Service]\nExecStart=/bin/sleep infinity\nExecReload=/bin/false\n"
)

func TestRealNginx(t *testing.T) {
	t.Parallel()
	box := sdbox.Start(t)
	port := freePort(t)
	site := func(body string) []byte {
		return fmt.Appendf(nil, "server {\n\tlisten 127.0.0.1:%d;\n\tlocation / { return 200 %q; }\n}\n", port, body)
	}
	if err := box.WriteFile("/etc/nginx/sites-enabled/default", site("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, box, "nginx.service")
	waitBody(t, port, "v1")
	m, ctx := realManager(t, box), context.Background()

	if err := box.WriteFile("/etc/nginx/sites-enabled/default", site("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx, "nginx.service", ModeReload, false); err != nil {
		t.Fatalf("reload: %v\n%s", err, box.Journal("nginx.service"))
	}
	waitBody(t, port, "v2")

	pid := mainPID(t, box, "nginx.service")
	if err := m.Reload(ctx, "nginx.service", ModeRestart, false); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if mainPID(t, box, "nginx.service") == pid {
		t.Error("restart kept the main PID")
	}
	waitBody(t, port, "v2")

	// nginx -s reload parses the config first: a broken one fails the job, nginx serves on.
	if err := box.WriteFile("/etc/nginx/sites-enabled/default", []byte("server { bogus; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := m.Reload(ctx, "nginx.service", ModeReload, false)
	if !errors.Is(err, ErrJobFailed) || !strings.Contains(err.Error(), "nginx.service") {
		t.Fatalf("reload of a broken config: err = %v, want ErrJobFailed naming nginx.service", err)
	}
	if s := activeState(t, box, "nginx.service"); s != "active" {
		t.Errorf("nginx is %s after a failed reload", s)
	}
	waitBody(t, port, "v2")
}

func TestRealOutcomes(t *testing.T) {
	t.Parallel()
	box := sdbox.Start(t,
		sdbox.UnitFile{Name: "sleeper.service", Content: sleeper},
		sdbox.UnitFile{Name: "stopped.service", Content: sleeper},
		sdbox.UnitFile{Name: "failreload.service", Content: failReload},
		sdbox.UnitFile{Name: "noreload.service", Content: "[Service]\nExecStart=/bin/sleep infinity\n"},
	)
	start(t, box, "sleeper.service", "failreload.service", "noreload.service")
	m, ctx := realManager(t, box), context.Background()

	t.Run("modes", func(t *testing.T) {
		for _, mode := range []string{ModeReload, ModeRestart, ModeReloadOrRestart, ModeTryReloadOrRestart} {
			if err := m.Reload(ctx, "sleeper.service", mode, false); err != nil {
				t.Errorf("%s: %v", mode, err)
			}
		}
	})
	t.Run("ExecReload fails", func(t *testing.T) {
		err := m.Reload(ctx, "failreload.service", ModeReload, false)
		if !errors.Is(err, ErrJobFailed) || !strings.Contains(err.Error(), `"failed"`) {
			t.Fatalf("err = %v, want ErrJobFailed with result \"failed\"", err)
		}
	})
	t.Run("no ExecReload", func(t *testing.T) {
		if err := m.Reload(ctx, "noreload.service", ModeReload, false); !errors.Is(err, ErrJobFailed) {
			t.Fatalf("err = %v, want ErrJobFailed", err)
		}
		if err := m.Reload(ctx, "noreload.service", ModeReloadOrRestart, false); err != nil {
			t.Fatalf("reload-or-restart: %v", err)
		}
	})
	t.Run("stopped unit left alone", func(t *testing.T) {
		if err := m.Reload(ctx, "stopped.service", ModeReload, false); !errors.Is(err, ErrInactive) {
			t.Fatalf("err = %v, want ErrInactive", err)
		}
		if s := activeState(t, box, "stopped.service"); s != "inactive" {
			t.Fatalf("stopped.service is %s, want it left inactive", s)
		}
	})
	t.Run("stopped unit started", func(t *testing.T) {
		if err := m.Reload(ctx, "stopped.service", ModeReload, true); err != nil {
			t.Fatal(err)
		}
		if s := activeState(t, box, "stopped.service"); s != "active" {
			t.Fatalf("stopped.service is %s, want active", s)
		}
	})
	t.Run("missing unit", func(t *testing.T) {
		if err := m.Reload(ctx, "missing.service", ModeReload, true); !errors.Is(err, ErrNoUnit) {
			t.Fatalf("err = %v, want ErrNoUnit", err)
		}
	})
	t.Run("control group", func(t *testing.T) {
		cg, err := m.ControlGroup(ctx, "sleeper.service")
		if err != nil || cg != "/system.slice/sleeper.service" {
			t.Fatalf("ControlGroup = %q, %v; want /system.slice/sleeper.service", cg, err)
		}
		if _, err := m.ControlGroup(ctx, "missing.service"); err != nil {
			t.Logf("missing unit: %v", err) // systemd loads it as not-found: "" or an error, either counts nothing
		}
	})
	t.Run("reconnects after daemon-reexec", func(t *testing.T) {
		if _, err := box.Systemctl("daemon-reexec"); err != nil {
			t.Fatal(err)
		}
		var err error
		for range 3 { // the first call may still use the dropped connection
			if err = m.Reload(ctx, "sleeper.service", ModeReload, false); err == nil {
				return
			}
			t.Logf("after daemon-reexec: %v", err)
		}
		t.Fatalf("no recovery after daemon-reexec: %v", err)
	})
}
