package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/confwatch/confwatch/bench/internal/agentproc"
	"github.com/confwatch/confwatch/bench/internal/filewatch"
)

// burstResult is one burst of puts spread evenly over a second.
type burstResult struct {
	setting         string // min_reload_interval, "" for the defaults
	keys, puts      int
	span            time.Duration // first put start -> last put start
	applies         int           // "applied" log lines during the burst
	reloads         int           // reload_cmd runs during the burst
	toFile          time.Duration // last put start -> dest holds every put
	toReload        time.Duration // last put start -> the last reload
	complete        bool          // dest holds all the burst's keys at the end
	reloadsAfterAll int           // reloads after the final file: should be 1
}

// burstSection runs a burst of o.burstPuts new keys at n keys, with
// min_reload_interval = mri ("" for none).
func (h *harness) burstSection(ctx context.Context, n int, mri string) error {
	extra := guards
	if mri != "" {
		extra += fmt.Sprintf("min_reload_interval = %q\n", mri)
	}
	res := agentproc.Resource{Template: classicTmpl, DestName: "upstream.conf", Keys: []string{dir}, ExtraTOML: extra}
	h.runs++
	c, err := agentproc.Write(filepath.Join(h.work, fmt.Sprintf("run%02d-burst-%d", h.runs, n)), res)
	if err != nil {
		return err
	}
	fw, err := filewatch.New(c.Dest)
	if err != nil {
		return err
	}
	defer fw.Close()
	a, err := agentproc.Start(h.bin, c, h.etcd.Endpoint, h.o.agentEnv...)
	if err != nil {
		return err
	}
	defer a.Stop()
	if _, err := fw.Wait(ctx, 5*time.Minute, true, func(b []byte) bool { return len(b) > 0 }); err != nil {
		return h.agentErr(c, err)
	}
	time.Sleep(500 * time.Millisecond)
	r, err := h.burst(ctx, c, fw)
	if err != nil {
		return h.agentErr(c, err)
	}
	r.setting, r.keys = mri, n
	if err := a.Stop(); err != nil {
		return err
	}
	h.rep.bursts = append(h.rep.bursts, r)
	h.logf("burst at %d keys, min_reload_interval=%q: %d applies, %d reloads, final file %s after the last put",
		n, mri, r.applies, r.reloads, r.toFile)
	// Remove the burst's keys so later sections see exactly n keys.
	return putAll(ctx, h.cli, addrs(200, 0, h.o.burstPuts), true)
}

// burst puts o.burstPuts new keys at even intervals over one second and
// waits for the final state and a quiet second.
func (h *harness) burst(ctx context.Context, c *agentproc.Confdir, fw *filewatch.Watcher) (*burstResult, error) {
	r := &burstResult{puts: h.o.burstPuts}
	recs, err := agentproc.ReadLog(c.Log)
	if err != nil {
		return nil, err
	}
	applied0 := agentproc.Count(recs, "applied")
	rl0, err := c.ReloadTimes()
	if err != nil {
		return nil, err
	}
	step := time.Second / time.Duration(r.puts)
	fw.Drain()
	start := time.Now()
	var last time.Time
	for i := range r.puts {
		time.Sleep(time.Until(start.Add(time.Duration(i) * step)))
		a := addr(200, i)
		last = time.Now()
		if _, err := h.cli.Put(ctx, dir+"/"+a, a); err != nil {
			return nil, err
		}
	}
	r.span = last.Sub(start)
	want := []byte(line(addr(200, r.puts-1)))
	tf, err := fw.Wait(ctx, 30*time.Second, false, func(b []byte) bool { return bytes.Contains(b, want) })
	if err != nil {
		return nil, err
	}
	r.toFile = tf.Sub(last)
	time.Sleep(1500 * time.Millisecond) // a quiet period: nothing more should happen
	return r, h.burstCounts(r, c, applied0, len(rl0), last, tf)
}

// burstCounts fills in what the log, the reload file and dest say.
func (h *harness) burstCounts(r *burstResult, c *agentproc.Confdir, applied0, rl0 int, last, tf time.Time) error {
	recs, err := agentproc.ReadLog(c.Log)
	if err != nil {
		return err
	}
	r.applies = agentproc.Count(recs, "applied") - applied0
	rl, err := c.ReloadTimes()
	if err != nil {
		return err
	}
	r.reloads = len(rl) - rl0
	if len(rl) > 0 {
		r.toReload = rl[len(rl)-1].Sub(last)
	}
	for _, t := range rl {
		if !t.Before(tf) {
			r.reloadsAfterAll++
		}
	}
	b, err := os.ReadFile(c.Dest)
	if err != nil {
		return err
	}
	r.complete = true
	for i := range r.puts {
		if !bytes.Contains(b, []byte(line(addr(200, i)))) {
			r.complete = false
			break
		}
	}
	return nil
}
