package watch

import (
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

func newTestSched(minInterval, waitMin, waitMax time.Duration) *scheduler {
	return &scheduler{
		groups: map[string]*gstate{"g": {minInterval: minInterval, waitMin: waitMin, waitMax: waitMax}},
		byDir:  map[string][]string{"/d": {"g"}},
	}
}

func TestSchedulerPolicies(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type step struct {
		at     int    // ms after t0
		op     string // mark | due | ok | fail
		starts bool   // for due: whether g starts
	}
	tests := []struct {
		name                  string
		min, waitMin, waitMax time.Duration
		steps                 []step
	}{
		{"first change at once", 0, 0, 0, []step{{0, "mark", false}, {0, "due", true}}},
		{"changes during an apply wait for it", 0, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {5, "mark", false}, {6, "due", false}, {10, "ok", false}, {10, "due", true}}},
		{"min interval spaces applies and keeps the last", 250 * time.Millisecond, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {10, "ok", false}, {20, "mark", false}, {21, "due", false},
			{200, "mark", false}, {249, "due", false}, {250, "due", true}}},
		{"quiet change after the interval is immediate", 250 * time.Millisecond, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {10, "ok", false}, {900, "mark", false}, {900, "due", true}}},
		{"default budget: first change at once, the rest merged at the end", time.Second, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {5, "ok", false}, {10, "mark", false}, {500, "mark", false},
			{998, "mark", false}, {999, "due", false}, {1000, "due", true}, {1005, "ok", false}, {1500, "due", false}}},
		{"budget 0: every change after an apply starts at once", 0, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {5, "ok", false}, {6, "mark", false}, {6, "due", true}}},
		{"wait min restarts with each change", 0, 100 * time.Millisecond, time.Second, []step{
			{0, "mark", false}, {50, "due", false}, {80, "mark", false}, {150, "due", false}, {180, "due", true}}},
		{"wait max bounds a steady stream", 0, 100 * time.Millisecond, 300 * time.Millisecond, []step{
			{0, "mark", false}, {90, "mark", false}, {180, "mark", false}, {270, "mark", false}, {299, "due", false}, {300, "due", true}}},
		{"failure retried with backoff", 0, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {10, "fail", false}, {500, "due", false}, {1010, "due", true}}},
		{"new data skips the retry backoff", 0, 0, 0, []step{
			{0, "mark", false}, {0, "due", true}, {10, "fail", false}, {20, "mark", false}, {20, "due", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSched(tt.min, tt.waitMin, tt.waitMax)
			for i, st := range tt.steps {
				now := ms(st.at)
				switch st.op {
				case "mark":
					s.markDir("/d", now, 1)
				case "due":
					due, _ := s.due(now, nil)
					got := len(due) == 1
					if got != st.starts {
						t.Fatalf("step %d at %dms: started=%v, want %v", i, st.at, got, st.starts)
					}
				case "ok":
					s.finished("g", []engine.Result{{Outcome: engine.OutcomeApplied}}, now)
				case "fail":
					s.finished("g", []engine.Result{{Outcome: engine.OutcomeFailed, Stage: "reload"}}, now)
				}
			}
		})
	}
}

// TestDefaultBudgetBurst: 500 changes spread over a second under the
// default budget start at most 3 applies, and the last one starts no later
// than the budget after the final change (simulated clock, applies of 5 ms).
func TestDefaultBudgetBurst(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := newTestSched(time.Second, 0, 0)
	starts, busyUntil, lastMark := []time.Time{}, time.Time{}, time.Time{}
	step := func(now time.Time) {
		if !busyUntil.IsZero() && !now.Before(busyUntil) {
			s.finished("g", []engine.Result{{Outcome: engine.OutcomeApplied}}, busyUntil)
			busyUntil = time.Time{}
		}
		if due, _ := s.due(now, nil); len(due) == 1 {
			starts, busyUntil = append(starts, now), now.Add(5*time.Millisecond)
		}
	}
	for i := 0; i < 500; i++ {
		now := t0.Add(time.Duration(i) * 2 * time.Millisecond)
		s.markDir("/d", now, int64(i+1))
		lastMark = now
		step(now)
	}
	for ms := 0; ms < 3000; ms++ {
		step(lastMark.Add(time.Duration(ms) * time.Millisecond))
	}
	if len(starts) > 3 {
		t.Fatalf("%d applies for the burst, want at most 3", len(starts))
	}
	last := starts[len(starts)-1]
	if last.Before(lastMark) || last.Sub(lastMark) > time.Second {
		t.Fatalf("final apply started %v after the last change, want within the 1s budget", last.Sub(lastMark))
	}
	if s.groups["g"].dirty {
		t.Fatal("the final state was never applied")
	}
}
