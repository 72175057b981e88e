package metrics

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/status"
)

func TestDetailedHealthView(t *testing.T) {
	tr := status.New(status.ReadyApplied, []string{"nginx", "haproxy"})
	tr.Synced()
	tr.Etcd(true, time.Now(), nil)
	tr.Resource(engine.Result{Name: "nginx", Dest: "/etc/nginx/nginx.conf", Outcome: engine.OutcomeApplied, Revision: 7})
	tr.Resource(engine.Result{Name: "haproxy", Dest: "/etc/haproxy/haproxy.cfg", Outcome: engine.OutcomeFailed, Revision: 7,
		Err: errors.New("check_cmd: exit status 1")})
	res, etcd := tr.Details()
	rep := Report{Ready: false, Tick: time.Now(), Line: "rev 7 · 1 ok, 1 failing", Revision: 7, Resources: res, Etcd: etcd}
	m := New(time.Minute, func() Report { return rep })
	for _, path := range []string{"/readyz", "/healthz?verbose"} {
		t.Run(path, func(t *testing.T) {
			w := httptest.NewRecorder()
			m.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if w.Code != 503 {
				t.Errorf("status %d, want 503 (not ready)", w.Code)
			}
			var d Detail
			if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
				t.Fatalf("%v in %s", err, w.Body)
			}
			if d.Ready || !d.LoopAlive || !d.Etcd.Up || len(d.Resources) != 2 {
				t.Fatalf("detail %+v", d)
			}
			if r := d.Resources[0]; r.Name != "nginx" || r.State != "applied" || !r.OK || r.Revision != 7 || r.LastOK.IsZero() {
				t.Errorf("nginx: %+v", r)
			}
			if r := d.Resources[1]; r.Name != "haproxy" || r.State != "failed" || r.OK || r.LastError != "check_cmd: exit status 1" {
				t.Errorf("haproxy: %+v", r)
			}
		})
	}
	rep.Ready = true
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != 200 {
		t.Errorf("ready: status %d, want 200", w.Code)
	}
}
