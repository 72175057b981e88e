package history

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/render"
)

const testTmpl = `{{range gets "/svc/*"}}{{base .Key}}={{.Value}}
{{end}}`

func testIndex(t *testing.T) (*Index, time.Time) {
	t.Helper()
	tm, err := render.Parse(filepath.Join(t.TempDir(), "t.tmpl"), []byte(testTmpl))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	h := History{Start: 10, Initial: []kv.Pair{{Key: "/svc/a", Value: "1"}, {Key: "/other/x", Value: "y"}},
		Revs: []Revision{
			{Rev: 11, At: t0.Add(1 * time.Second), Events: []Event{{Key: "/svc/b", Value: "2"}}},
			{Rev: 12, At: t0.Add(2 * time.Second), Events: []Event{{Key: "/svc/zz", Value: "a"}}},
			{Rev: 13, At: t0.Add(3 * time.Second), Events: []Event{{Key: "/svc/zz", Del: true}}},
			{Rev: 14, At: t0.Add(4 * time.Second), Events: []Event{{Key: "/svc/zz", Value: "b"}}},
			{Rev: 15, At: t0.Add(5 * time.Second), Events: []Event{{Key: "/other/x", Value: "z"}}},
		}}
	ix, err := NewIndex(h, TemplateRenderer(tm, "", []string{"/svc"}))
	if err != nil {
		t.Fatal(err)
	}
	return ix, t0
}

func obs(t0 time.Time, contents ...string) []Observation {
	out := make([]Observation, len(contents))
	for i, c := range contents {
		out[i] = Observation{At: t0.Add(time.Duration(i+1) * 1500 * time.Millisecond), Data: []byte(c)}
	}
	return out
}

func TestCheck(t *testing.T) {
	ix, t0 := testIndex(t)
	const (
		s10 = "a=1\n"
		s11 = "a=1\nb=2\n"
		s12 = "a=1\nb=2\nzz=a\n"
		s14 = "a=1\nb=2\nzz=b\n"
	)
	tests := []struct {
		name  string
		seen  []string
		revs  []int64
		kinds []string
	}{
		{"every state in order", []string{s10, s11, s12, s11, s14}, []int64{10, 11, 12, 13, 14}, nil},
		{"states skipped", []string{s10, s14}, []int64{10, 14}, nil},
		// put-delete-put applied as puts then deletes: zz missing after zz=b
		// renders revision 13's content again, which is fine; a state with b
		// missing never existed.
		{"a state that never existed", []string{s10, "a=1\nzz=b\n", s14}, []int64{10, 14}, []string{"never existed"}},
		{"backwards", []string{s10, s12, s10}, []int64{10, 12}, []string{"went backwards"}},
		{"a partial file", []string{s11, "a=1\nb="}, []int64{11}, []string{"never existed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, vs := ix.Check(obs(t0, tt.seen...))
			var revs []int64
			for _, m := range ms {
				revs = append(revs, m.Rev)
			}
			if !equal(revs, tt.revs) {
				t.Errorf("matched revisions %v, want %v", revs, tt.revs)
			}
			var kinds []string
			for _, v := range vs {
				kinds = append(kinds, v.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
				t.Errorf("violations %v, want %v", vs, tt.kinds)
			}
		})
	}
}

// TestCheckNoRestores: a backwards step is a violation, also right after
// an agent restart (before, one was excused as a "restore").
func TestCheckNoRestores(t *testing.T) {
	ix, t0 := testIndex(t)
	seen := obs(t0, "a=1\n", "a=1\nb=2\nzz=a\n", "a=1\n", "a=1\nb=2\nzz=b\n")
	if _, vs := ix.Check(seen); len(vs) != 1 || vs[0].Kind != "went backwards" {
		t.Errorf("violations %v, want the one step back", vs)
	}
}

func TestFinalAndStates(t *testing.T) {
	ix, _ := testIndex(t)
	if got, rev := ix.Final(); string(got) != "a=1\nb=2\nzz=b\n" || rev != 15 {
		t.Errorf("final = %q at %d", got, rev)
	}
	if ix.States() != 6 {
		t.Errorf("states = %d, want 6", ix.States())
	}
}

func TestLags(t *testing.T) {
	ix, t0 := testIndex(t)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ms := []Match{
		{Observation{At: at(0.5)}, 10},
		{Observation{At: at(2.5)}, 12}, // 11 (at 1) and 12 (at 2) caught up at 2.5
		{Observation{At: at(9)}, 15},   // 13, 14, 15 caught up at 9; 3 s excused
	}
	lags, unseen := ix.Lags(ms, []Window{{From: at(4.5), To: at(7.5)}})
	want := map[int64]time.Duration{11: 1500 * time.Millisecond, 12: 500 * time.Millisecond,
		13: 1500 * time.Millisecond, 14: 1500 * time.Millisecond, 15: 1500 * time.Millisecond}
	if unseen != 0 || len(lags) != len(want) {
		t.Fatalf("lags %v, unseen %d", lags, unseen)
	}
	for _, l := range lags {
		if want[l.Rev] != l.Lag {
			t.Errorf("revision %d: lag %v, want %v", l.Rev, l.Lag, want[l.Rev])
		}
	}
	if w, ok := Worst(lags, Window{From: at(1.5), To: at(3.5)}); !ok || w.Rev != 13 {
		t.Errorf("worst in window = %+v %v", w, ok)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
