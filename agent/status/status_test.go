package status

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

func TestReadyAndLine(t *testing.T) {
	refused := engine.Status{Name: "b", State: engine.StateRefused, DestExists: true, Err: errors.New("refused: /services/apache/ empty")}
	tests := []struct {
		name      string
		when      string
		statuses  []engine.Status
		etcdUp    bool
		wantReady bool
		wantLine  []string
	}{
		{"nothing yet", ReadyApplied, nil, true, false, []string{"2 pending", "etcd ok"}},
		{"all applied", ReadyApplied, []engine.Status{{Name: "a", State: engine.StateOK, Revision: 7}, {Name: "b", State: engine.StateUnchanged, Revision: 7}}, true, true, []string{"rev 7", "2 ok"}},
		{"refused, strict", ReadyApplied, []engine.Status{{Name: "a", State: engine.StateOK}, refused}, true, false, []string{"1 ok, 1 refused (b: refused: /services/apache/ empty)"}},
		{"refused, dest present", ReadyDestPresent, []engine.Status{{Name: "a", State: engine.StateOK}, refused}, true, true, nil},
		{"etcd down", ReadyApplied, []engine.Status{{Name: "a", State: engine.StateOK}, {Name: "b", State: engine.StateOK}}, false, true, []string{"etcd unreachable since"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(tt.when, []string{"a", "b"})
			tr.Synced()
			tr.Etcd(tt.etcdUp, time.Now().Add(-5*time.Second), nil)
			for _, s := range tt.statuses {
				tr.Resource(s)
			}
			if tr.Ready() != tt.wantReady {
				t.Errorf("Ready() = %v", !tt.wantReady)
			}
			line := tr.Line(time.Now())
			for _, w := range tt.wantLine {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
		})
	}
}
