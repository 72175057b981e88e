package ack

import (
	"errors"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/engine"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func res(name string, o engine.Outcome, revs map[string]int64) engine.Result {
	r := engine.Result{Name: name, Outcome: o, DirRevs: revs}
	if o == engine.OutcomeFailed || o == engine.OutcomeRefused {
		r.Err = errors.New(name + " " + string(o))
	}
	return r
}

func TestBookRecord(t *testing.T) {
	const apache, web = "/services/apache", "/services/web"
	tests := []struct {
		name  string
		takes [][]engine.Result
		want  map[string]Dir // At left out
	}{
		{"first apply", [][]engine.Result{{res("nginx", engine.OutcomeApplied, map[string]int64{apache: 43})}},
			map[string]Dir{apache: {Revision: 43, Result: ResultApplied}}},
		{"a failure keeps the older revision", [][]engine.Result{
			{res("nginx", engine.OutcomeApplied, map[string]int64{apache: 41})},
			{res("nginx", engine.OutcomeFailed, map[string]int64{apache: 43})},
		}, map[string]Dir{apache: {Revision: 41, Result: ResultFailed, Error: "nginx failed"}}},
		{"failing from the start is revision 0", [][]engine.Result{{res("nginx", engine.OutcomeRefused, map[string]int64{apache: 43})}},
			map[string]Dir{apache: {Revision: 0, Result: ResultRefused, Error: "nginx refused"}}},
		{"unchanged advances", [][]engine.Result{
			{res("nginx", engine.OutcomeApplied, map[string]int64{apache: 41})},
			{res("nginx", engine.OutcomeUnchanged, map[string]int64{apache: 45})},
		}, map[string]Dir{apache: {Revision: 45, Result: ResultUnchanged}}},
		{"two resources on a directory: the lower revision, the failure", [][]engine.Result{
			{res("a", engine.OutcomeApplied, map[string]int64{apache: 50, web: 50})},
			{res("b", engine.OutcomeApplied, map[string]int64{apache: 44})},
			{res("b", engine.OutcomeFailed, map[string]int64{apache: 50})},
		}, map[string]Dir{apache: {Revision: 44, Result: ResultFailed, Error: "b failed"}, web: {Revision: 50, Result: ResultApplied}}},
		{"recovery after a failure", [][]engine.Result{
			{res("nginx", engine.OutcomeFailed, map[string]int64{apache: 43})},
			{res("nginx", engine.OutcomeApplied, map[string]int64{apache: 44})},
		}, map[string]Dir{apache: {Revision: 44, Result: ResultApplied}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Book
			for i, sts := range tt.takes {
				b.Take(sts, t0.Add(time.Duration(i)*time.Second))
			}
			got := b.Record("lb-a", t0)
			if len(got.Dirs) != len(tt.want) {
				t.Fatalf("dirs %v, want %v", got.Dirs, tt.want)
			}
			for d, w := range tt.want {
				g := got.Dirs[d]
				g.At = time.Time{}
				if g != w {
					t.Errorf("%s: got %+v, want %+v", d, g, w)
				}
			}
		})
	}
}

func TestBookKeep(t *testing.T) {
	var b Book
	b.Take([]engine.Result{res("old", engine.OutcomeApplied, map[string]int64{"/x": 3}),
		res("new", engine.OutcomeApplied, map[string]int64{"/y": 5})}, t0)
	b.Keep([]string{"new"})
	if r := b.Record("lb", t0); len(r.Dirs) != 1 || r.Dirs["/y"].Revision != 5 {
		t.Errorf("after Keep: %+v", r.Dirs)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := Record{Name: "lb-a", At: t0, Dirs: map[string]Dir{"/services/apache": {Revision: 43, At: t0, Result: ResultApplied}}}
	want := `{"name":"lb-a","at":"2026-12-01T10:00:00Z","dirs":{"/services/apache":{"revision":43,"at":"2026-12-01T10:00:00Z","result":"applied"}}}`
	if got := string(r.Marshal()); got != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
	back, err := Parse(r.Marshal())
	if err != nil || back.Dirs["/services/apache"] != r.Dirs["/services/apache"] || back.Name != r.Name {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestCovers(t *testing.T) {
	for _, tt := range []struct {
		dir, key string
		want     bool
	}{
		{"/services/apache", "/services/apache/10.0.0.5:80", true},
		{"/services/apache/", "/services/apache/10.0.0.5:80", true},
		{"/services", "/services/apache/10.0.0.5:80", true},
		{"/", "/services/apache/10.0.0.5:80", true},
		{"/services/apache", "/services/apache-x/10.0.0.5:80", false},
		{"/services/web", "/services/apache/10.0.0.5:80", false},
	} {
		if got := Covers(tt.dir, tt.key); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v", tt.dir, tt.key, got)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, n := range []string{"", "a/b"} {
		if err := CheckName(n); !errors.Is(err, ErrName) {
			t.Errorf("CheckName(%q) = %v", n, err)
		}
	}
	if err := CheckName("lb-a"); err != nil {
		t.Error(err)
	}
}

func TestBookAdvance(t *testing.T) {
	const apache = "/services/apache"
	var b Book
	b.Take([]engine.Result{res("ok", engine.OutcomeApplied, map[string]int64{apache: 40}),
		res("bad", engine.OutcomeFailed, map[string]int64{apache: 40})}, t0)
	if b.Advance("/services/web", 50) {
		t.Error("a directory no resource reads moved")
	}
	if !b.Advance(apache, 50) {
		t.Error("no move")
	}
	if b.Advance(apache, 45) {
		t.Error("an older revision moved")
	}
	b.Keep([]string{"ok"})
	if got := b.Record("lb", t0).Dirs[apache]; got.Revision != 50 {
		t.Errorf("the good resource is at %d, want 50", got.Revision)
	}
	b.Keep([]string{"bad"})
	if got := b.Record("lb", t0).Dirs[apache]; got.Revision != 0 {
		t.Errorf("the failed resource moved to %d", got.Revision)
	}
}
