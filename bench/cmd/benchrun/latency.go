package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/confwatch/confwatch/bench/internal/agentproc"
	"github.com/confwatch/confwatch/bench/internal/filewatch"
	"github.com/confwatch/confwatch/bench/internal/stats"
)

// runResult is what one agent run at one key count measured.
type runResult struct {
	keys, changes int
	latency       stats.Summary // put start -> dest holds the change
	floor         stats.Summary // put start -> a plain watcher got the event
	put           stats.Summary // put start -> put response
	apply         stats.Summary // agent's transaction minus its reload (log)
	firstRender   time.Duration // process start -> dest written
	synced        time.Duration // process start -> "cache synced" (log)
	cpuPerChange  time.Duration
	peakRSS       int64
	tmplExec      time.Duration // in-process template execution, median
	tmplBench     time.Duration // BenchmarkExecuteClassic at this size, when run
	render        stats.Summary // the agent's own render time (log), if it logs one
	recv          stats.Summary // put start -> the agent logged the change (log)
	toFile        stats.Summary // the agent logged the change -> dest holds it
	starts, files []time.Time   // per change: put start, dest holds it
}

// tmpl is the template execution time: the agent's own, from its log, when
// it logs one (same changes, same process: the exact figure); else the
// micro-benchmark's (measured alone, at the end of the run); else the
// harness's.
func (r runResult) tmpl() time.Duration {
	if r.render.N > 0 {
		return r.render.P50
	}
	if r.tmplBench > 0 {
		return r.tmplBench
	}
	return r.tmplExec
}

// share is the agent's own part of the p50: what is left after etcd's
// floor and the template execution.
func (r runResult) share() time.Duration { return r.latency.P50 - r.floor.P50 - r.tmpl() }

// agentRun starts an agent on res at n keys, times its first render, then
// makes changes one at a time (put a new key, delete it, ...), each waited
// for in dest before the next.
func (h *harness) agentRun(ctx context.Context, name string, n int, res agentproc.Resource, changes int) (*runResult, error) {
	changes += changes % 2 // every put is deleted again
	r := &runResult{keys: n, changes: changes}
	var err error
	if r.tmplExec, err = templateExec(res.Template, n); err != nil {
		return nil, err
	}
	h.runs++
	c, err := agentproc.Write(filepath.Join(h.work, fmt.Sprintf("run%02d-%s-%d", h.runs, name, n)), res)
	if err != nil {
		return nil, err
	}
	fw, err := filewatch.New(c.Dest)
	if err != nil {
		return nil, err
	}
	defer fw.Close()
	a, err := agentproc.Start(h.bin, c, h.etcd.Endpoint, h.o.agentEnv...)
	if err != nil {
		return nil, err
	}
	defer a.Stop()
	first, err := fw.Wait(ctx, 5*time.Minute, true, func(b []byte) bool { return len(b) > 0 })
	if err != nil {
		return nil, h.agentErr(c, err)
	}
	r.firstRender = first.Sub(a.Started)
	time.Sleep(300 * time.Millisecond) // let the first reload and the start-up GC finish
	var perf *perfRecord
	if h.o.perf {
		if perf, err = startPerf(c.Dir, a.Pid()); err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond) // perf attaches
	}
	if err := h.changeLoop(ctx, r, a, c, fw); err != nil {
		return nil, h.agentErr(c, err)
	}
	if perf != nil {
		if err := perf.stop(); err != nil {
			h.logf("perf record: %v", err)
		}
		h.logf("profile: perf report -i %s", perf.file)
	}
	if r.peakRSS, err = a.PeakRSS(); err != nil {
		return nil, err
	}
	if err := a.Stop(); err != nil {
		return nil, err
	}
	if err := fromLog(r, c, a.Started); err != nil {
		return nil, err
	}
	h.logf("%s at %d keys: first render %s, p50 %s (floor %s, template %s), cpu/change %s, peak RSS %.1f MB",
		name, n, r.firstRender.Round(time.Millisecond), r.latency.P50, r.floor.P50, r.tmplExec,
		r.cpuPerChange, float64(r.peakRSS)/(1<<20))
	return r, nil
}

// changeLoop makes r.changes measured changes and fills the latencies and
// the CPU time per change. Each change is complete, reload included, before
// the next put, so no change waits for the previous one's reload.
func (h *harness) changeLoop(ctx context.Context, r *runResult, a *agentproc.Agent, c *agentproc.Confdir, fw *filewatch.Watcher) error {
	fl, err := watchFloor(ctx, h.wcli)
	if err != nil {
		return err
	}
	defer fl.stop()
	rw, err := filewatch.New(c.Reloads)
	if err != nil {
		return err
	}
	defer rw.Close()
	rl, err := c.ReloadTimes()
	if err != nil {
		return err
	}
	reloads := len(rl)
	cpu0, err := a.CPU()
	if err != nil {
		return err
	}
	var lat, floor, put []time.Duration
	for i := range r.changes {
		ad := addr(100, h.changes+i/2)
		key, del := dir+"/"+ad, i%2 == 1
		want := []byte(line(ad))
		fw.Drain()
		rw.Drain()
		t0 := time.Now()
		if del {
			_, err = h.cli.Delete(ctx, key)
		} else {
			_, err = h.cli.Put(ctx, key, ad)
		}
		if err != nil {
			return err
		}
		put = append(put, time.Since(t0))
		tf, err := fw.Wait(ctx, time.Minute, false, func(b []byte) bool { return bytes.Contains(b, want) != del })
		if err != nil {
			return fmt.Errorf("change %d (%s, delete=%v): %w", i, key, del, err)
		}
		tw, err := fl.wait(key, del, 10*time.Second)
		if err != nil {
			return err
		}
		lat, floor = append(lat, tf.Sub(t0)), append(floor, tw.Sub(t0))
		r.starts, r.files = append(r.starts, t0), append(r.files, tf)
		reloads++
		if _, err := rw.Wait(ctx, time.Minute, true, hasLines(reloads)); err != nil {
			return fmt.Errorf("change %d: reload: %w", i, err)
		}
	}
	h.changes += r.changes / 2
	cpu1, err := a.CPU()
	if err != nil {
		return err
	}
	r.cpuPerChange = (cpu1.Total() - cpu0.Total()) / time.Duration(r.changes)
	r.latency, r.floor, r.put = stats.Summarize(lat), stats.Summarize(floor), stats.Summarize(put)
	return nil
}
