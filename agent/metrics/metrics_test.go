package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/confwatch/confwatch/agent/engine"
)

func TestHandler(t *testing.T) {
	var mu sync.Mutex
	rep := Report{EtcdUp: true, Revision: 42, LastOK: map[string]time.Time{"nginx": time.Unix(1700000000, 0)}}
	m := New(time.Minute, func() Report { mu.Lock(); defer mu.Unlock(); return rep })
	m.Applied("unit:nginx.service", []engine.Result{{Name: "nginx", Outcome: engine.OutcomeApplied, Revision: 42, Reloaded: true}}, 3*time.Millisecond)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(p string) (int, string) {
		r, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 503 {
		t.Fatalf("healthz before any tick: %d", code)
	}
	mu.Lock()
	rep.Ready, rep.Tick, rep.Line = true, time.Now(), "rev 42 · 1 ok · etcd ok"
	mu.Unlock()
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "1 ok") {
		t.Fatalf("healthz: %d %q", code, body)
	}
	want := `
# HELP confwatch_applied_revision etcd revision of the newest applied render.
# TYPE confwatch_applied_revision gauge
confwatch_applied_revision 42
# HELP confwatch_etcd_up 1 when etcd answers reads.
# TYPE confwatch_etcd_up gauge
confwatch_etcd_up 1
# HELP confwatch_ready 1 when every resource is where ready_when wants it.
# TYPE confwatch_ready gauge
confwatch_ready 1
# HELP confwatch_last_applied_timestamp_seconds When a resource was last found or made up to date.
# TYPE confwatch_last_applied_timestamp_seconds gauge
confwatch_last_applied_timestamp_seconds{resource="nginx"} 1.7e+09
# HELP confwatch_reloads_total Reloads by outcome (ok, rolled_back).
# TYPE confwatch_reloads_total counter
confwatch_reloads_total{group="unit:nginx.service",result="ok"} 1
# HELP confwatch_resource_syncs_total Syncs of a template resource by outcome (applied, unchanged, refused, failed, would-change).
# TYPE confwatch_resource_syncs_total counter
confwatch_resource_syncs_total{resource="nginx",result="applied"} 1
`
	if err := testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(want),
		"confwatch_applied_revision", "confwatch_etcd_up", "confwatch_ready", "confwatch_last_applied_timestamp_seconds",
		"confwatch_reloads_total", "confwatch_resource_syncs_total"); err != nil {
		t.Error(err)
	}
}

func TestHeldMetrics(t *testing.T) {
	m := New(time.Minute, func() Report { return Report{} })
	g := "unit:nginx.service"
	m.Held(g, 5, true, 0, false)
	if v := testutil.ToFloat64(m.hold.held.WithLabelValues(g)); v != 1 {
		t.Fatalf("held = %v while held", v)
	}
	m.Held(g, 5, false, 1500*time.Millisecond, true)
	if v := testutil.ToFloat64(m.hold.draining.WithLabelValues(g)); v != 5 {
		t.Errorf("draining = %v, want 5", v)
	}
	if v := testutil.ToFloat64(m.hold.seconds.WithLabelValues(g)); v != 1.5 {
		t.Errorf("held seconds = %v, want 1.5", v)
	}
	if v := testutil.ToFloat64(m.hold.expired.WithLabelValues(g)); v != 1 {
		t.Errorf("expired holds = %v, want 1", v)
	}
	if v := testutil.ToFloat64(m.hold.held.WithLabelValues(g)); v != 0 {
		t.Errorf("held = %v after the release", v)
	}
}
