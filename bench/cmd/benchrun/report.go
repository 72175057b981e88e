package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/confwatch/confwatch/bench/internal/machine"
	"github.com/confwatch/confwatch/bench/internal/stats"
)

// report collects every section's results.
type report struct {
	started     time.Time
	machine     machine.Info
	storage     string
	loadAt      string // /proc/loadavg at the start
	loadEnd     string // and at the end
	env         string // extra agent environment
	etcd        string
	latency     []*runResult
	nginx       []*runResult
	bursts      []*burstResult
	e2e         []*e2eResult
	hold        []map[string]string // section 7, one map per phase
	firstAnswer []map[string]string // section 6b, one map per size
	micro       []microResult
	microCmd    string
	notes       []string
}

// write renders the report to o.out (stdout when empty).
func (h *harness) write() error {
	for _, x := range h.rep.latency {
		x.tmplBench = classicExec(h.rep.micro, x.keys)
	}
	h.rep.loadEnd = machine.LoadAvg()
	var b strings.Builder
	h.rep.markdown(&b, h.command(), time.Since(h.rep.started))
	if h.o.out == "" {
		_, err := io.WriteString(os.Stdout, b.String())
		return err
	}
	if err := os.WriteFile(h.o.out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	h.logf("wrote %s (run took %s)", h.o.out, time.Since(h.rep.started).Round(time.Second))
	return nil
}

// command is the command line that produced the report.
func (h *harness) command() string {
	return strings.TrimSpace("go run ./bench/cmd/benchrun " + strings.Join(h.args[1:], " "))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", stats.Ms(d)) }
func mb(n int64) string         { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func (r *report) markdown(w io.Writer, command string, took time.Duration) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("# Benchmarks\n")
	p("Written by `make bench` (`%s`) on %s; the run took %s.\n", command, r.started.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second))
	p("etcd and confwatch run as real processes on loopback; the agent is `confwatch run` built from this tree, " +
		"rendering confd's classic nginx upstream template (`getvs \"/services/apache/*\"`) with a reload_cmd that " +
		"appends the time to a file. Keys are `/services/apache/10.X.Y.Z:8080`. Latencies are from the start of the put " +
		"to the inotify event after which the destination holds the change; each change is waited for before the next, " +
		"so sections 1, 2, 3 and 5 set `min_reload_interval = \"0\"` (under the default 1 s reload budget every change " +
		"but the first would wait out the budget; a single change after quiet is applied at once either way); " +
		"section 4 measures the budget itself.\n")
	r.machineTable(p)
	r.targets(p)
	r.latencyTable(p)
	r.resourceTable(p)
	r.firstTable(p)
	r.burstTable(p)
	r.nginxTable(p)
	r.e2eTable(p)
	r.firstAnswerTable(p)
	r.holdTable(p)
	r.microTable(p)
	for _, n := range r.notes {
		p("Note: %s\n", n)
	}
	r.howTo(p)
}

func (r *report) howTo(p func(string, ...any)) {
	p("## Reproducing and profiling\n")
	p("- `make bench` rewrites this file; `go run ./bench/cmd/benchrun -h` lists the knobs (sizes, changes, burst, `-keep`).")
	p("- `-perf` records the agent process with `perf record -g` during each run's changes (the binary is built " +
		"unstripped) and keeps the work directory: `perf report -i <work>/runNN-latency-N/perf.data --children`.")
	p("- In process, with pprof: `go test -run '^$' -bench 'PutToApplied/keys=10000' -cpuprofile cpu.out -o watch.test " +
		"./agent/watch && go tool pprof -top -cum -focus confwatch/agent watch.test cpu.out` (the embedded etcd is in " +
		"the same profile); `BenchmarkFirstApplied` does the same for the first list and render.")
	p("- Destinations live on tmpfs here, so the agent's fsyncs are nearly free; on a disk they add the device's " +
		"flush latency to every change.")
}

func (r *report) machineTable(p func(string, ...any)) {
	m := r.machine
	p("## Machine\n")
	p("| | |\n|---|---|")
	p("| CPU | %s, %d cores |", m.CPU, m.Cores)
	p("| Memory | %.1f GB |", float64(m.MemBytes)/(1<<30))
	p("| Kernel | %s |", m.Kernel)
	p("| Go | %s |", m.Go)
	p("| etcd | %s |", r.etcd)
	p("| etcd data, confdir, destination | %s |", r.storage)
	p("| Load average (1, 5, 15 min) at start, at end | %s; %s |", r.loadAt, r.loadEnd)
	p("| Agent environment | %s |\n", r.env)
	if strings.HasPrefix(r.loadAt, "0.") && strings.HasPrefix(r.loadEnd, "0.") {
		return
	}
	p("**The machine was not idle during this run** (load average above 1): other work competed for the CPUs, " +
		"so latencies and CPU times are inflated and noisy. Run `make bench` on an idle machine for numbers to keep.\n")
}
