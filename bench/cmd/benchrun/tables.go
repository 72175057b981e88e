package main

import (
	"fmt"
	"strings"
	"time"
)

type printer = func(string, ...any)

func (r *report) latencyTable(p printer) {
	p("## 1. Put → file latency (ms)\n")
	p("Floor: the same puts seen by a plain etcd watcher on its own client in the same run. Template: %s. "+
		"Agent share = p50 − floor p50 − template.\n", r.tmplSource())
	p("| keys | changes | p50 | p95 | p99 | max | floor p50 | floor p95 | put RTT p50 | template | agent share p50 | agent apply p50 |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.latency {
		p("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", x.keys, x.changes,
			ms(x.latency.P50), ms(x.latency.P95), ms(x.latency.P99), ms(x.latency.Max),
			ms(x.floor.P50), ms(x.floor.P95), ms(x.put.P50), ms(x.tmpl()), ms(x.share()), ms(x.apply.P50))
	}
	p("\nAgent apply: the agent's transaction (compare, stage, fsync, rename, fsync dir, record state) minus its reload, " +
		"from its debug log. The same changes split at the agent's \"change\" log line (it has taken the watch event " +
		"into its cache), p50 and p95:\n")
	p("| keys | put → agent has the event | agent has the event → file |")
	p("|---:|---:|---:|")
	for _, x := range r.latency {
		p("| %d | %s / %s | %s / %s |", x.keys, ms(x.recv.P50), ms(x.recv.P95), ms(x.toFile.P50), ms(x.toFile.P95))
	}
	p("")
}

func (r *report) resourceTable(p printer) {
	p("## 2. Agent CPU per change and peak memory\n")
	p("CPU: utime+stime of the agent process (not its reload children) over the measured changes, from /proc/PID/stat " +
		"(10 ms ticks), divided by the changes. Peak RSS: VmHWM at the end of the run.\n")
	p("| keys | CPU per change (ms) | template (ms) | CPU / template | peak RSS (MB) |")
	p("|---:|---:|---:|---:|---:|")
	for _, x := range r.latency {
		ratio := "-"
		if x.tmpl() > 0 {
			ratio = fmt.Sprintf("%.1f", float64(x.cpuPerChange)/float64(x.tmpl()))
		}
		p("| %d | %s | %s | %s | %s |", x.keys, ms(x.cpuPerChange), ms(x.tmpl()), ratio, mb(x.peakRSS))
	}
	p("")
}

func (r *report) firstTable(p printer) {
	p("## 3. First render (ms)\n")
	p("From just before the process starts to the destination written; \"cache synced\" is the agent's log line " +
		"after its first list (connect + read every directory), on the same clock (ms resolution).\n")
	p("| keys | start → file | start → cache synced | synced → file |")
	p("|---:|---:|---:|---:|")
	for _, x := range r.latency {
		p("| %d | %s | %s | %s |", x.keys, ms(x.firstRender), ms(x.synced), ms(x.firstRender-x.synced))
	}
	p("")
}

func (r *report) burstTable(p printer) {
	p("## 4. Burst: puts spread evenly over one second\n")
	p("Each put adds a new key. Applies: the agent's \"applied\" log lines; reloads: runs of the reload_cmd; both " +
		"counted until 1.5 s after the final state. Times are from the start of the last put.\n")
	p("| setting | keys | puts | span (ms) | applies | reloads | last put → final file (ms) | last put → last reload (ms) | final file complete |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, x := range r.bursts {
		s := "defaults"
		if x.setting != "" {
			s = fmt.Sprintf("min_reload_interval = %q", x.setting)
		}
		p("| %s | %d | %d | %s | %d | %d | %s | %s | %v |", s, x.keys, x.puts, ms(x.span), x.applies, x.reloads,
			ms(x.toFile), ms(x.toReload), x.complete)
	}
	p("")
}

func (r *report) nginxTable(p printer) {
	if len(r.nginx) == 0 {
		return
	}
	p("## 5. With check_cmd = nginx -t (ms)\n")
	p("The template renders a whole nginx.conf around the same upstream; check_cmd = " +
		"`nginx -t -q -c {{.src}} -e stderr -p DIR -g 'pid DIR/x.pid;'` runs on every change before the rename.\n")
	p("| keys | changes | p50 | p95 | p99 | floor p50 | template | agent apply p50 (incl. nginx -t) | CPU per change (agent only) | peak RSS (MB) |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.nginx {
		p("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |", x.keys, x.changes, ms(x.latency.P50), ms(x.latency.P95),
			ms(x.latency.P99), ms(x.floor.P50), ms(x.tmplExec), ms(x.apply.P50), ms(x.cpuPerChange), mb(x.peakRSS))
	}
	p("")
}

func (r *report) microTable(p printer) {
	if len(r.micro) == 0 {
		return
	}
	p("## Micro-benchmarks of the render path\n")
	p("`%s`\n", r.microCmd)
	p("| package | benchmark | time | memory | allocations | other |")
	p("|---|---|---:|---:|---:|---|")
	for _, m := range r.micro {
		var t, mem, allocs string
		var other []string
		for _, v := range m.metrics {
			switch {
			case strings.HasSuffix(v, "/op") && !strings.Contains(v, " "):
				t = v
			case strings.HasSuffix(v, " B/op"):
				mem = v
			case strings.HasSuffix(v, " allocs/op"):
				allocs = v
			default:
				other = append(other, v)
			}
		}
		p("| %s | %s | %s | %s | %s | %s |", m.pkg, m.name, t, mem, allocs, strings.Join(other, ", "))
	}
	p("")
}

// targets compares the run with issue 7's targets.
func (r *report) targets(p printer) {
	p("## Targets (issue 7)\n")
	p("| target | measured | met |")
	p("|---|---|---|")
	row := func(name, got string, ok bool) { p("| %s | %s | %s |", name, got, yes(ok)) }
	if x := r.at(10000); x != nil {
		row("p50 at 10,000 keys ≤ 8 ms", ms(x.latency.P50)+" ms", x.latency.P50 <= 8*time.Millisecond)
		row("agent share at 10,000 keys < 2 ms", ms(x.share())+" ms", x.share() < 2*time.Millisecond)
		row("CPU per change at 10,000 keys ≤ 2 × template", fmt.Sprintf("%s ms (template %s ms)", ms(x.cpuPerChange), ms(x.tmpl())),
			x.cpuPerChange <= 2*x.tmpl())
		row("peak RSS at 10,000 keys ≤ 40 MB", mb(x.peakRSS)+" MB", x.peakRSS <= 40<<20)
	}
	if x := r.at(100000); x != nil {
		row("p50 at 100,000 keys ≤ 80 ms", ms(x.latency.P50)+" ms", x.latency.P50 <= 80*time.Millisecond)
		row("peak RSS at 100,000 keys ≤ 150 MB", mb(x.peakRSS)+" MB", x.peakRSS <= 150<<20)
	}
	for _, b := range r.bursts {
		switch b.setting {
		case "":
			row("burst, defaults (budget 1s): ≤ 3 reloads, final state reloaded ≤ 1,050 ms after the last put",
				fmt.Sprintf("%d reloads, file %s ms, reload %s ms", b.reloads, ms(b.toFile), ms(b.toReload)),
				b.reloads <= 3 && b.toReload <= 1050*time.Millisecond && b.complete)
		case "0":
			row("burst, min_reload_interval = \"0\": reloads ≤ applies", fmt.Sprintf("%d reloads, %d applies", b.reloads, b.applies),
				b.reloads <= b.applies && b.complete)
		default:
			row(fmt.Sprintf("burst, min_reload_interval = %q: ≤ 6 reloads, final state ≤ 300 ms after the last put", b.setting),
				fmt.Sprintf("%d reloads, file %s ms, reload %s ms", b.reloads, ms(b.toFile), ms(b.toReload)),
				b.reloads <= 6 && b.toFile <= 300*time.Millisecond && b.toReload <= 300*time.Millisecond && b.complete)
		}
	}
	p("")
}

func (r *report) at(keys int) *runResult {
	for _, x := range r.latency {
		if x.keys == keys {
			return x
		}
	}
	return nil
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// tmplSource says where the template column comes from.
func (r *report) tmplSource() string {
	for _, x := range r.latency {
		if x.render.N > 0 {
			return "the agent's own render time, p50 of its debug \"rendered\" lines for the same changes"
		}
	}
	if len(r.micro) > 0 {
		return "`BenchmarkExecuteClassic` of this run at the same size (agent/render, the same template and keys)"
	}
	return "agent/render executing the same template over the same keys in the harness process (median)"
}
