package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

var fast = settle{timeout: 100 * time.Millisecond, interval: 5 * time.Millisecond}

func TestReloadDecisions(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		start    bool
		bus      *fakeBus
		wantJobs []string
		wantErr  error  // nil: success
		wantText string // in the error
	}{
		{"reload active", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "done"}, []string{"reload"}, nil, ""},
		{"restart", ModeRestart, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "done"}, []string{"restart"}, nil, ""},
		{"reload-or-restart", ModeReloadOrRestart, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "done"}, []string{"reload-or-restart"}, nil, ""},
		{"try-reload-or-restart", ModeTryReloadOrRestart, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "done"}, []string{"try-reload-or-restart"}, nil, ""},
		{"reloading settles", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active", "reloading", "reloading", "active"}, result: "done"}, []string{"reload"}, nil, ""},
		{"activating counts as running", ModeReload, false, &fakeBus{load: "loaded", states: []string{"activating", "active"}, result: "done"}, []string{"reload"}, nil, ""},
		{"not found", ModeReload, true, &fakeBus{load: "not-found", states: []string{"inactive"}}, nil, ErrNoUnit, "nginx.service"},
		{"masked", ModeReload, true, &fakeBus{load: "masked", states: []string{"inactive"}}, nil, ErrNoUnit, "masked"},
		{"inactive left alone", ModeReload, false, &fakeBus{load: "loaded", states: []string{"inactive"}, result: "done"}, nil, ErrInactive, "inactive"},
		{"failed left alone", ModeRestart, false, &fakeBus{load: "loaded", states: []string{"failed"}, result: "done"}, nil, ErrInactive, "failed"},
		{"inactive started", ModeReload, true, &fakeBus{load: "loaded", states: []string{"inactive", "active"}, result: "done"}, []string{"start"}, nil, ""},
		{"failed started", ModeTryReloadOrRestart, true, &fakeBus{load: "loaded", states: []string{"failed", "activating", "active"}, result: "done"}, []string{"start"}, nil, ""},
		{"job failed", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "failed"}, []string{"reload"}, ErrJobFailed, `"failed"`},
		{"job timeout", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "timeout"}, []string{"reload"}, ErrJobFailed, `"timeout"`},
		{"job invalid", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "invalid"}, []string{"reload"}, ErrJobFailed, `"invalid"`},
		{"job canceled", ModeRestart, false, &fakeBus{load: "loaded", states: []string{"active"}, result: "canceled"}, []string{"restart"}, ErrJobFailed, `"canceled"`},
		{"start dependency", ModeReload, true, &fakeBus{load: "loaded", states: []string{"inactive"}, result: "dependency"}, []string{"start"}, ErrJobFailed, `"dependency"`},
		{"down after done", ModeRestart, false, &fakeBus{load: "loaded", states: []string{"active", "failed"}, result: "done"}, []string{"restart"}, ErrUnitDown, "failed"},
		{"never settles", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active", "reloading"}, result: "done"}, []string{"reload"}, ErrUnitDown, "reloading"},
		{"enqueue refused", ModeReload, false, &fakeBus{load: "loaded", states: []string{"active"}, enqErr: classify(dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"})}, nil, ErrDenied, ""},
		{"bus broken", ModeReload, false, &fakeBus{propErr: classify(io.EOF)}, nil, ErrConnection, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.bus
			_, err := reload(context.Background(), b, "nginx.service", tt.mode, jobModeReplace, tt.start, fast)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v, want nil", err)
			}
			if tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText)) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantText)
			}
			if !slices.Equal(b.kinds, tt.wantJobs) {
				t.Errorf("jobs = %q, want %q", b.kinds, tt.wantJobs)
			}
		})
	}
}

func TestReloadWaitIsBounded(t *testing.T) {
	t.Run("context", func(t *testing.T) {
		b := &fakeBus{load: "loaded", states: []string{"active"}} // the job never ends
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := reload(ctx, b, "nginx.service", ModeReload, jobModeReplace, false, fast); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("connection drops", func(t *testing.T) {
		b := &fakeBus{load: "loaded", states: []string{"active"}}
		time.AfterFunc(20*time.Millisecond, b.setDead)
		if _, err := reload(context.Background(), b, "nginx.service", ModeReload, jobModeReplace, false, fast); !errors.Is(err, ErrConnection) {
			t.Fatalf("err = %v, want ErrConnection", err)
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		in   error
		want error // nil: must wrap none of the sentinels
	}{
		{"no such unit", dbus.Error{Name: "org.freedesktop.systemd1.NoSuchUnit"}, ErrNoUnit},
		{"no such unit pointer", fmt.Errorf("call: %w", &dbus.Error{Name: "org.freedesktop.systemd1.NoSuchUnit"}), ErrNoUnit},
		{"access denied", dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}, ErrDenied},
		{"polkit", dbus.Error{Name: "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"}, ErrDenied},
		{"masked", dbus.Error{Name: "org.freedesktop.systemd1.UnitMasked"}, ErrNoUnit},
		{"not applicable", dbus.Error{Name: "org.freedesktop.systemd1.JobTypeNotApplicable"}, ErrJobFailed},
		{"other call error", dbus.Error{Name: "org.freedesktop.DBus.Error.InvalidArgs"}, nil},
		{"transport", io.EOF, ErrConnection},
		{"canceled", context.Canceled, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.in)
			if !strings.Contains(got.Error(), tt.in.Error()) {
				t.Errorf("classify lost the original error: %v", got)
			}
			for _, s := range []error{ErrNoUnit, ErrJobFailed, ErrDenied, ErrConnection} {
				if errors.Is(got, s) != (s == tt.want) {
					t.Errorf("classify(%v) = %v; wraps %v: %v", tt.in, got, s, errors.Is(got, s))
				}
			}
		})
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

func TestValidNames(t *testing.T) {
	for name, want := range map[string]bool{
		"nginx.service": true, "app@blue.service": true, "sys-kernel.mount": true, `a\x2db.service`: true,
		"nginx": false, ".service": false, "nginx.conf": false, "../x.service": false, "a b.service": false,
		"": false, strings.Repeat("a", 250) + ".service": false,
	} {
		if got := ValidUnitName(name); got != want {
			t.Errorf("ValidUnitName(%q) = %v", name, got)
		}
	}
	for mode, want := range map[string]bool{"reload": true, "restart": true, "reload-or-restart": true,
		"try-reload-or-restart": true, "": false, "start": false, "Reload": false} {
		if got := ValidMode(mode); got != want {
			t.Errorf("ValidMode(%q) = %v", mode, got)
		}
	}
}
