package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

func TestHandler(t *testing.T) {
	m := New(time.Minute)
	m.Applied("unit:nginx.service", []engine.Result{{Name: "nginx", Outcome: engine.OutcomeApplied, Revision: 42, Reloaded: true}}, 3*time.Millisecond)
	m.Etcd(true)
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
	m.Tick(true, "rev 42 · 1 ok · etcd ok")
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "1 ok") {
		t.Fatalf("healthz: %d %q", code, body)
	}
	_, body := get("/metrics")
	for _, w := range []string{`confwatch_resource_syncs_total{resource="nginx",result="applied"} 1`, "confwatch_applied_revision 42",
		`confwatch_reloads_total{group="unit:nginx.service",result="ok"} 1`, "confwatch_etcd_up 1"} {
		if !strings.Contains(body, w) {
			t.Errorf("metrics lack %q", w)
		}
	}
}
