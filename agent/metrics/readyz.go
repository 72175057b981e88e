package metrics

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/confwatch/confwatch/agent/status"
)

// Detail is the detailed health view served at /readyz (and /healthz?verbose):
// one entry per resource plus etcd's state, with the same verdict as /healthz.
type Detail struct {
	Ready     bool                    `json:"ready"`      // systemd was told READY=1
	LoopAlive bool                    `json:"loop_alive"` // the loop ticked within the stale bound
	Status    string                  `json:"status"`     // the STATUS= line
	Revision  int64                   `json:"revision"`
	Etcd      status.EtcdDetail       `json:"etcd"`
	Resources []status.ResourceDetail `json:"resources"`
}

// serveDetail writes r as JSON: 200 when ready and the loop alive, else 503.
func (m *Metrics) serveDetail(w http.ResponseWriter, r Report) {
	d := Detail{Ready: r.Ready, LoopAlive: !r.Tick.IsZero() && time.Since(r.Tick) < m.staleAfter,
		Status: r.Line, Revision: r.Revision, Etcd: r.Etcd, Resources: r.Resources}
	if d.Resources == nil {
		d.Resources = []status.ResourceDetail{}
	}
	w.Header().Set("Content-Type", "application/json")
	if !d.Ready || !d.LoopAlive {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(d) // the client went away: nothing to do
}
