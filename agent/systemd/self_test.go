package systemd

import (
	"context"
	"reflect"
	"testing"
)

func TestJobModeFor(t *testing.T) {
	tests := []struct {
		name  string
		self  string
		queue []Job
		want  string
	}{
		{"outside a unit", "", []Job{{Unit: "nginx.service", Type: "reload", State: "waiting"}}, jobModeReplace},
		{"our unit idle", "confwatch.service", []Job{{Unit: "other.service", Type: "start", State: "running"}}, jobModeReplace},
		{"our start job", "confwatch.service", []Job{{Unit: "confwatch.service", Type: "start", State: "running"}}, jobModeNow},
		{"our stop job", "confwatch.service", []Job{{Unit: "confwatch.service", Type: "stop", State: "running"}}, jobModeNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jobModeFor(context.Background(), &fakeBus{queue: tt.queue}, tt.self)
			if err != nil || got != tt.want {
				t.Fatalf("jobModeFor = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestWaitingOn(t *testing.T) {
	after := map[string][]string{
		"nginx.service":   {"network.target", "confwatch.service"},
		"haproxy.service": {"network.target"},
	}
	own := Job{Unit: "confwatch.service", Type: "start", State: "running"}
	nginxReload := Job{Unit: "nginx.service", Type: "reload", State: "waiting"}
	tests := []struct {
		name     string
		queue    []Job
		wantOwn  Job
		wantWait []Job
	}{
		{"no job of ours", []Job{nginxReload}, Job{}, nil},
		{"reload behind our start", []Job{own, nginxReload}, own, []Job{nginxReload}},
		{"running jobs do not wait", []Job{own, {Unit: "nginx.service", Type: "reload", State: "running"}}, own, nil},
		{"units not ordered after us", []Job{own, {Unit: "haproxy.service", Type: "reload", State: "waiting"}}, own, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotOwn, gotWait, err := waitingOn("confwatch.service", tt.queue, func(u string) ([]string, error) { return after[u], nil })
			if err != nil || gotOwn != tt.wantOwn || !reflect.DeepEqual(gotWait, tt.wantWait) {
				t.Fatalf("waitingOn = %v, %v, %v; want %v, %v", gotOwn, gotWait, err, tt.wantOwn, tt.wantWait)
			}
		})
	}
}

func TestReloadQueuesAtOnceWhileOurUnitHasAJob(t *testing.T) {
	b := &fakeBus{load: "loaded", states: []string{"active"}, result: "done", self: "confwatch.service",
		queue: []Job{{Unit: "confwatch.service", Type: "start", State: "running"}}}
	m := NewManager(nil)
	m.dial = func(context.Context) (bus, error) { return b, nil }
	m.settle = fast
	defer m.Close()
	if err := m.Reload(context.Background(), "nginx.service", ModeReload, false); err != nil {
		t.Fatal(err)
	}
	b.queue = nil
	if err := m.Reload(context.Background(), "nginx.service", ModeReload, false); err != nil {
		t.Fatal(err)
	}
	if want := []string{jobModeNow, jobModeReplace}; !reflect.DeepEqual(b.modes, want) {
		t.Fatalf("job modes %q, want %q", b.modes, want)
	}
}
