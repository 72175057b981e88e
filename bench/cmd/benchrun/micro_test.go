package main

import (
	"strings"
	"testing"
	"time"
)

const benchOut = `goos: linux
pkg: github.com/confwatch/confwatch/agent/render
BenchmarkExecuteClassic/keys=10000-2     	     213	   5148628 ns/op	  56.99 MB/s	  995238 B/op	   19768 allocs/op
PASS
pkg: github.com/confwatch/confwatch/agent/watch
BenchmarkTake/keys=0-2    	  800203	       623.3 ns/op	      24 B/op	       1 allocs/op
`

func TestParseBench(t *testing.T) {
	rs := parseBench([]byte(benchOut))
	if len(rs) != 2 {
		t.Fatalf("got %d results, want 2: %+v", len(rs), rs)
	}
	if got := classicExec(rs, 10000); got != 5148628*time.Nanosecond {
		t.Errorf("classicExec(10000) = %v", got)
	}
	if got := classicExec(rs, 1000); got != 0 {
		t.Errorf("classicExec(1000) = %v, want 0", got)
	}
	if rs[0].name != "ExecuteClassic/keys=10000" {
		t.Errorf("name = %q", rs[0].name)
	}
	if rs[1].pkg != "agent/watch" || strings.Join(rs[1].metrics, ",") != "623ns/op,24 B/op,1 allocs/op" {
		t.Errorf("second result = %+v", rs[1])
	}
}

func TestMarkdownEmpty(t *testing.T) {
	var b strings.Builder
	(&report{}).markdown(&b, "go run ./bench/cmd/benchrun", time.Second)
	if !strings.Contains(b.String(), "# Benchmarks") {
		t.Error("no title")
	}
}

func TestParseHold(t *testing.T) {
	out := []byte("=== RUN x\n    hold_test.go:170: bench: phase=drain max_draining=2 peak_draining=3\n    hold_test.go:190: bench: phase=max_hold held_to_final_ms=3100\n--- PASS\n")
	got := parseHold(out)
	if len(got) != 2 || got[0]["peak_draining"] != "3" || got[1]["phase"] != "max_hold" || got[1]["held_to_final_ms"] != "3100" {
		t.Fatalf("parseHold = %v", got)
	}
}
