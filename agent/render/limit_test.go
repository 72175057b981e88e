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

// TestRepeatIsBoundedByMaxOutput: repeat refuses, before building it, a
// string longer than the render's max_output (before, max_output = 1MiB
// still let an etcd count build 64 MiB in one call).
func TestRepeatIsBoundedByMaxOutput(t *testing.T) {
	tmpl, err := Parse("r.tmpl", []byte(`{{$s := repeat (atoi (getv "/n")) "ab"}}{{len $s}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.ExecuteMax(tree("/n", "1000000"), 1<<20)
	if err == nil || errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "repeat 1000000 of 2 bytes: more than 1MiB") {
		t.Fatalf("got %q, %v; want repeat refused at max_output", out, err)
	}
	if out, err = tmpl.ExecuteMax(tree("/n", "1000"), 1<<20); err != nil || string(out) != "2000" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64MiB", 512 << 10: "512KiB", 1 << 30: "1GiB", 1000: "1000", 1536: "1536"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
