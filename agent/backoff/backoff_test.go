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
