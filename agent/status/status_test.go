package status

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

func TestReadyAndLine(t *testing.T) {
	refused := engine.Result{Name: "b", Outcome: engine.OutcomeRefused, DestExists: true, Err: errors.New("refused: /services/apache/ empty")}
	tests := []struct {
		name      string
		when      string
		statuses  []engine.Result
		etcdUp    bool
		etcdErr   error // up: what is degraded
		wantReady bool
		wantLine  []string
	}{
		{"nothing yet", ReadyApplied, nil, true, nil, false, []string{"2 pending", "etcd ok"}},
		{"all applied", ReadyApplied, []engine.Result{{Name: "a", Outcome: engine.OutcomeApplied, Revision: 7}, {Name: "b", Outcome: engine.OutcomeUnchanged, Revision: 7}}, true, nil, true, []string{"rev 7", "2 ok"}},
		{"refused, strict", ReadyApplied, []engine.Result{{Name: "a", Outcome: engine.OutcomeApplied}, refused}, true, nil, false, []string{"1 ok, 1 refused (b: refused: /services/apache/ empty)"}},
		{"refused, dest present", ReadyDestPresent, []engine.Result{{Name: "a", Outcome: engine.OutcomeApplied}, refused}, true, nil, true, nil},
		{"member out", ReadyApplied, []engine.Result{{Name: "a", Outcome: engine.OutcomeApplied}, {Name: "b", Outcome: engine.OutcomeApplied}}, true, errors.New("etcd member http://10.0.0.2:2379 not answering since 10:04:05; using 2 of 3"), true, []string{"etcd degraded since", "(etcd member http://10.0.0.2:2379 not answering since 10:04:05; using 2 of 3)"}},
		{"first apply failed", ReadyApplied, []engine.Result{{Name: "a", Outcome: engine.OutcomeFailed, Revision: 3, Err: errors.New("check: exit status 1")}}, true, nil, false, []string{"nothing applied yet · 1 failing"}},
		{"etcd down", ReadyApplied, []engine.Result{{Name: "a", Outcome: engine.OutcomeApplied}, {Name: "b", Outcome: engine.OutcomeApplied}}, false, nil, true, []string{"etcd unreachable since"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(tt.when, []string{"a", "b"})
			tr.Synced()
			tr.Etcd(tt.etcdUp, time.Now().Add(-5*time.Second), tt.etcdErr)
			for _, s := range tt.statuses {
				tr.Resource(s)
			}
			if tr.Ready() != tt.wantReady {
				t.Errorf("Ready() = %v", !tt.wantReady)
			}
			line := tr.Line(time.Now())
			if strings.Contains(line, "rev 0") {
				t.Errorf("line %q shows revision 0", line)
			}
			for _, w := range tt.wantLine {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
		})
	}
}

func TestCarryKeepsTheRecordOfResourcesStillTracked(t *testing.T) {
	prev := New(ReadyApplied, []string{"a", "b"})
	prev.Synced()
	prev.Etcd(true, time.Now(), nil)
	prev.Resource(engine.Result{Name: "a", Outcome: engine.OutcomeApplied, Revision: 7})
	prev.Resource(engine.Result{Name: "b", Outcome: engine.OutcomeUnchanged, Revision: 7})
	next := New(ReadyApplied, []string{"a", "c"})
	next.Carry(prev)
	if !next.EtcdUp() || next.Revision() != 7 {
		t.Errorf("etcd up %v, revision %d; want true, 7", next.EtcdUp(), next.Revision())
	}
	ok := next.LastOK()
	if _, has := ok["a"]; !has || len(ok) != 1 {
		t.Errorf("LastOK = %v, want a only", ok)
	}
	if !next.Settling() || next.Ready() {
		t.Error("a carried record must still wait for the first sync and for c")
	}
	// Right after a SIGHUP, STATUS= still shows what is applied.
	if line := next.Line(time.Now()); !strings.HasPrefix(line, "rev 7 · 1 ok, 1 pending · etcd ok") {
		t.Errorf("line after a reload %q, want the previous revision and results", line)
	}
	same := New(ReadyApplied, []string{"a", "b"})
	same.Carry(prev)
	if line := same.Line(time.Now()); !strings.HasPrefix(line, "rev 7 · 2 ok · etcd ok") {
		t.Errorf("line after a reload of the same resources %q", line)
	}
}

// TestSyncIsAnAnswerFromEtcd: a first sync before the first probe result
// says etcd ok, not "not yet reached" beside a rendered revision; a probe's
// later verdict still wins.
func TestSyncIsAnAnswerFromEtcd(t *testing.T) {
	tr := New(ReadyApplied, []string{"a"})
	if line := tr.Line(time.Now()); !strings.Contains(line, "etcd not yet reached") {
		t.Errorf("before any answer: %q", line)
	}
	tr.Synced()
	tr.Resource(engine.Result{Name: "a", Outcome: engine.OutcomeApplied, Revision: 2})
	if line := tr.Line(time.Now()); !strings.Contains(line, "etcd ok") || !tr.EtcdKnown() || !tr.EtcdUp() {
		t.Errorf("after the first sync: %q (known %v, up %v)", line, tr.EtcdKnown(), tr.EtcdUp())
	}
	tr.Etcd(false, time.Now(), errors.New("connection refused"))
	if line := tr.Line(time.Now()); !strings.Contains(line, "etcd unreachable") {
		t.Errorf("after a failed probe: %q", line)
	}
}

func TestHeldLine(t *testing.T) {
	now := time.Now()
	tr := New(ReadyApplied, []string{"a"})
	tr.Synced()
	tr.Resource(engine.Result{Name: "a", Outcome: engine.OutcomeApplied, Revision: 3})
	tr.Held("unit:nginx.service", "nginx.service", 5, 2, now.Add(-12*time.Second))
	if l := tr.Line(now); !strings.Contains(l, "reload held: 5 old worker generations draining (nginx.service, max 2, 12s)") {
		t.Fatalf("line %q does not show the hold", l)
	}
	tr.Held("unit:nginx.service", "nginx.service", 1, 2, time.Time{})
	if l := tr.Line(now); strings.Contains(l, "held") {
		t.Fatalf("line %q still shows a released hold", l)
	}
}
