package render

import (
	"errors"
	"strings"
	"testing"
)

// TestExecuteMaxBoundsTheOutput: a render past max_output stops there with
// ErrTooLarge and no output; one at the limit passes.
func TestExecuteMaxBoundsTheOutput(t *testing.T) {
	tmpl, err := Parse("big.tmpl", []byte(`{{range seq 1 1000}}{{repeat 1000 "x"}}{{end}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.ExecuteMax(nil, 512<<10)
	if !errors.Is(err, ErrTooLarge) || out != nil || !strings.Contains(err.Error(), "max_output = 512KiB") {
		t.Fatalf("1 MB render at max 512KiB: %d bytes, %v", len(out), err)
	}
	if out, err = tmpl.ExecuteMax(nil, 1000*1000); err != nil || len(out) != 1000*1000 {
		t.Fatalf("at the limit: %d bytes, %v", len(out), err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64MiB", 512 << 10: "512KiB", 1 << 30: "1GiB", 1000: "1000", 1536: "1536"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
