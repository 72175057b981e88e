package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// microPkgs hold the render-path micro-benchmarks.
var microPkgs = []string{"./agent/render", "./agent/engine", "./agent/watch"}

// microResult is one line of `go test -bench` output.
type microResult struct {
	pkg, name string
	metrics   []string // "1.23ms/op", "456 B/op", ...
	perOp     time.Duration
}

// micro runs the render-path micro-benchmarks with -benchmem.
func (h *harness) micro(ctx context.Context) error {
	t0 := time.Now()
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", h.o.benchtime}, microPkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = h.module
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.logf("go test -bench failed:\n%s", out)
		return err
	}
	h.rep.microCmd = "go " + strings.Join(args, " ")
	h.rep.micro = parseBench(out)
	h.logf("micro-benchmarks: %d results in %s", len(h.rep.micro), time.Since(t0).Round(time.Second))
	return nil
}

// parseBench reads `go test -bench` output.
func parseBench(out []byte) []microResult {
	var res []microResult
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "pkg:":
			pkg = strings.TrimPrefix(f[1], "github.com/confwatch/confwatch/")
		case len(f) >= 4 && strings.HasPrefix(f[0], "Benchmark"):
			r := microResult{pkg: pkg, name: trimProcs(strings.TrimPrefix(f[0], "Benchmark"))}
			for i := 2; i+1 < len(f); i += 2 {
				r.metrics = append(r.metrics, humanMetric(f[i], f[i+1]))
				if f[i+1] == "ns/op" {
					r.perOp, _ = time.ParseDuration(f[i] + "ns")
				}
			}
			res = append(res, r)
		}
	}
	return res
}

// trimProcs drops the -GOMAXPROCS suffix go test adds to names.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return name
	}
	return name[:i]
}

// humanMetric shows ns/op in the unit that reads best.
func humanMetric(v, unit string) string {
	if unit != "ns/op" {
		return v + " " + unit
	}
	d, err := time.ParseDuration(v + "ns")
	if err != nil {
		return v + " " + unit
	}
	if d >= 10*time.Microsecond {
		d = d.Round(time.Microsecond / 10)
	}
	return d.String() + "/op"
}

// classicExec returns BenchmarkExecuteClassic's time at n keys, or 0.
func classicExec(ms []microResult, n int) time.Duration {
	want := fmt.Sprintf("ExecuteClassic/keys=%d", n)
	for _, m := range ms {
		if m.pkg == "agent/render" && m.name == want {
			return m.perOp
		}
	}
	return 0
}
