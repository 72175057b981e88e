package status

import (
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

// ResourceDetail is one resource as the detailed health view shows it.
type ResourceDetail struct {
	Name      string    `json:"name"`
	Dest      string    `json:"dest,omitempty"`
	State     string    `json:"state"`              // an engine.Outcome: pending, applied, unchanged, refused, failed, ...
	OK        bool      `json:"ok"`                 // in its wanted state
	Revision  int64     `json:"revision,omitempty"` // etcd revision of its latest render
	LastOK    time.Time `json:"last_ok,omitzero"`   // when last found or made up to date
	LastError string    `json:"last_error,omitempty"`
}

// EtcdDetail is etcd's state as the detailed health view shows it.
type EtcdDetail struct {
	Known bool      `json:"known"` // reachability was probed at least once
	Up    bool      `json:"up"`
	Since time.Time `json:"since,omitzero"` // when the current state began
	Error string    `json:"error,omitempty"`
}

// Details returns every tracked resource, in configuration order, and etcd's
// state.
func (t *Tracker) Details() ([]ResourceDetail, EtcdDetail) {
	out := make([]ResourceDetail, 0, len(t.order))
	for _, n := range t.order {
		d := ResourceDetail{Name: n, State: string(engine.OutcomePending), LastOK: t.okAt[n]}
		if r, ok := t.res[n]; ok {
			d.Dest, d.State, d.OK, d.Revision = r.Dest, string(r.Outcome), r.OK(), r.Revision
			if r.Err != nil {
				d.LastError = r.Err.Error()
			}
		}
		out = append(out, d)
	}
	e := EtcdDetail{Known: t.etcdKnown, Up: t.etcdUp, Since: t.etcdSince}
	if t.etcdErr != nil && !t.etcdUp {
		e.Error = t.etcdErr.Error()
	}
	return out, e
}
