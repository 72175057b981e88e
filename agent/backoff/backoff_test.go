package backoff

import (
	"testing"
	"time"
)

func TestBackoffStaysInBounds(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	step := 100 * time.Millisecond
	for i := 0; i < 10; i++ {
		d := b.Next()
		if d < step/2 || d > step {
			t.Fatalf("wait %d = %s, want within [%s, %s]", i, d, step/2, step)
		}
		step = min(2*step, time.Second)
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Fatalf("after Reset: %s", d)
	}
}

func TestStep(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, time.Second}, {1, 2 * time.Second}, {5, 32 * time.Second}, {6, time.Minute}, {1000, time.Minute},
	}
	for _, tt := range tests {
		if got := b.Step(tt.n); got != tt.want {
			t.Errorf("Step(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
	if got := (Backoff{Max: time.Second}).Step(1 << 40); got != 0 {
		t.Errorf("Step with Min 0 = %s, want 0", got)
	}
}
