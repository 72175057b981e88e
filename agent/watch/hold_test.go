package watch

import (
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

// TestSchedulerHold drives the hold with a fake counter: a scripted number
// of draining generations per look.
func TestSchedulerHold(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type step struct {
		at     int    // ms after t0
		op     string // mark | due | ok
		gens   int    // for due: generations draining at this look
		starts bool   // for due: whether g starts
	}
	tests := []struct {
		name     string
		maxDrain int
		maxHold  time.Duration
		steps    []step
		looks    int  // how many times the counter must have been asked (-1: any)
		expired  bool // the last release was at max_hold
	}{
		{"the first apply is never held", 2, time.Minute, []step{{0, "mark", 0, false}, {0, "due", 9, true}}, 0, false},
		{"under the cap: no hold", 2, time.Minute, []step{
			{0, "mark", 0, false}, {0, "due", 0, true}, {5, "ok", 0, false},
			{10, "mark", 0, false}, {10, "due", 2, true}}, 1, false},
		{"over the cap: held until the drain, the final state then", 2, time.Minute, []step{
			{0, "mark", 0, false}, {0, "due", 0, true}, {5, "ok", 0, false},
			{10, "mark", 0, false}, {10, "due", 5, false}, {510, "mark", 0, false}, {510, "due", 4, false},
			{1010, "due", 2, true}}, 3, false},
		{"max_hold: applied anyway", 2, time.Second, []step{
			{0, "mark", 0, false}, {0, "due", 0, true}, {5, "ok", 0, false},
			{10, "mark", 0, false}, {10, "due", 5, false}, {510, "due", 5, false}, {1009, "due", 5, false},
			{1010, "due", 5, true}}, 4, true},
		{"a new hold starts its own max_hold", 2, time.Second, []step{
			{0, "mark", 0, false}, {0, "due", 0, true}, {5, "ok", 0, false},
			{10, "mark", 0, false}, {10, "due", 5, false}, {1010, "due", 5, true}, {1015, "ok", 0, false},
			{1100, "mark", 0, false}, {1100, "due", 5, false}, {2099, "due", 5, false}, {2100, "due", 3, true}}, 5, true},
		{"max_draining 0: never asked", 0, time.Second, []step{
			{0, "mark", 0, false}, {0, "due", 0, true}, {5, "ok", 0, false},
			{10, "mark", 0, false}, {10, "due", 50, true}}, 0, false},
		{"not due: the unit is not looked at", 2, time.Minute, []step{
			{0, "mark", 0, false}, {0, "due", 0, true}, {5, "due", 9, false}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSched(0, 0, 0)
			s.groups["g"].hold.add("nginx.service", tt.maxDrain, tt.maxHold)
			gens, looks := 0, 0
			s.count = func(unit string) int {
				if unit != "nginx.service" {
					t.Fatalf("counted %q", unit)
				}
				looks++
				return gens
			}
			var last Hold
			for i, st := range tt.steps {
				now := ms(st.at)
				switch st.op {
				case "mark":
					s.markDir("/d", now, int64(i+1))
				case "due":
					gens = st.gens
					due, _ := s.due(now, nil)
					if got := len(due) == 1; got != st.starts {
						t.Fatalf("step %d at %dms (%d draining): started=%v, want %v", i, st.at, st.gens, got, st.starts)
					}
					for _, h := range s.takeHolds() {
						last = h.h
					}
					if !st.starts && !s.groups["g"].busy && s.tAt.IsZero() {
						t.Fatalf("step %d: held with no timer armed", i)
					}
				case "ok":
					s.finished("g", []engine.Result{{Outcome: engine.OutcomeApplied}}, now)
				}
			}
			if tt.looks >= 0 && looks != tt.looks {
				t.Errorf("counter asked %d times, want %d", looks, tt.looks)
			}
			if last.Expired != tt.expired {
				t.Errorf("last hold %+v: expired = %v, want %v", last, last.Expired, tt.expired)
			}
			if s.groups["g"].dirty {
				t.Error("the final state was not applied")
			}
		})
	}
}

// TestHoldReports: a hold is reported when it begins, when the count
// changes, and when it ends, with how long it lasted.
func TestHoldReports(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := newTestSched(0, 0, 0)
	s.groups["g"].hold.add("nginx.service", 2, time.Minute)
	gens := 0
	s.count = func(string) int { return gens }
	s.markDir("/d", t0, 1)
	s.due(t0, nil)
	s.finished("g", nil, t0)
	s.markDir("/d", t0, 2)
	var got []Hold
	for i, g := range []int{5, 5, 4, 1} {
		gens = g
		s.due(t0.Add(time.Duration(i)*time.Second), nil)
		for _, h := range s.takeHolds() {
			got = append(got, h.h)
		}
	}
	if len(got) != 3 {
		t.Fatalf("reports %+v, want 3 (begin at 5, 4, release)", got)
	}
	if got[0].Draining != 5 || !got[0].Since.Equal(t0) || got[1].Draining != 4 {
		t.Errorf("reports while held: %+v", got[:2])
	}
	if r := got[2]; !r.Since.IsZero() || r.Held != 3*time.Second || r.Expired || r.Unit != "nginx.service" {
		t.Errorf("release: %+v, want 3s held, not expired", r)
	}
}
