package register

import (
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	// results: "+" pass, "-" fail. want: the health after each result, H
	// (healthy) or u (unhealthy), with "!" when that result changed it.
	tests := []struct {
		name       string
		rise, fall int
		results    string
		want       string
	}{
		{"first pass registers at once", 2, 3, "+", "H!"},
		{"first fail stays down", 2, 3, "-", "u!"},
		{"fall after three failures", 2, 3, "++---", "H! H H H u!"},
		{"a pass restarts the fall count", 2, 3, "+--+--", "H! H H H H H"},
		{"rise after two passes", 2, 3, "-++", "u! u H!"},
		{"a failure restarts the rise count", 2, 3, "-+-++", "u! u u u H!"},
		{"flapping never changes", 2, 2, "+-+-+-+-", "H! H H H H H H H"},
		{"rise and fall of 1 follow every result", 1, 1, "+-+-", "H! u! H! u!"},
		{"zero counts act as 1", 0, 0, "+-", "H! u!"},
		{"down, up, down", 2, 2, "---++--", "u! u u u H! H u!"},
		{"long run stays put", 3, 3, "++++++", "H! H H H H H"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Gate{Rise: tt.rise, Fall: tt.fall}
			if g.Seen() || g.Healthy() {
				t.Fatal("zero gate has seen a result")
			}
			var got []string
			for _, c := range tt.results {
				healthy, changed := g.Observe(c == '+')
				s := map[bool]string{true: "H", false: "u"}[healthy]
				if changed {
					s += "!"
				}
				if healthy != g.Healthy() {
					t.Fatalf("Observe said %v, Healthy says %v", healthy, g.Healthy())
				}
				got = append(got, s)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("results %s: got %q, want %q", tt.results, g, tt.want)
			}
		})
	}
}
