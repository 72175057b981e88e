package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/confwatch/confwatch/bench/internal/agentproc"
	"github.com/confwatch/confwatch/bench/internal/stats"
)

// agentErr adds the tail of the agent's log to err.
func (h *harness) agentErr(c *agentproc.Confdir, err error) error {
	b, _ := os.ReadFile(c.Log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return fmt.Errorf("%w\nagent log (%s), last lines:\n%s", err, c.Log, b)
}

// fromLog reads the sync time, the apply durations, the render durations
// (debug "rendered" lines with "took", when the agent writes them) and the
// time each change reached the agent's cache from the agent's log.
func fromLog(r *runResult, c *agentproc.Confdir, started time.Time) error {
	recs, err := agentproc.ReadLog(c.Log)
	if err != nil {
		return err
	}
	if s, ok := agentproc.First(recs, "cache synced"); ok {
		r.synced = s.Time.Sub(started)
	}
	var reloads, tooks, renders []time.Duration
	var changes []time.Time
	for _, x := range recs {
		switch x.Msg {
		case "rendered": // logged by agents that time their renders
			renders = append(renders, nanos(x.Attrs["took"]))
		case "change":
			changes = append(changes, x.Time)
		case "applied":
			reloads = append(reloads, nanos(x.Attrs["reload"]))
		case "transaction done":
			tooks = append(tooks, nanos(x.Attrs["took"]))
		}
	}
	var applies []time.Duration
	for i := 1; i < min(len(reloads), len(tooks)); i++ { // 0 is the first render
		applies = append(applies, tooks[i]-reloads[i])
	}
	r.apply = stats.Summarize(applies)
	if len(renders) > 1 {
		r.render = stats.Summarize(renders[1:])
	}
	if len(changes) == len(r.starts) { // one watch response per change
		var recv, toFile []time.Duration
		for i, t := range changes {
			recv, toFile = append(recv, t.Sub(r.starts[i])), append(toFile, r.files[i].Sub(t))
		}
		r.recv, r.toFile = stats.Summarize(recv), stats.Summarize(toFile)
	}
	return nil
}

// nanos reads a duration slog's JSON handler wrote (integer nanoseconds).
func nanos(v any) time.Duration {
	f, _ := v.(float64)
	return time.Duration(f)
}

// hasLines reports whether a file holds at least n lines.
func hasLines(n int) func([]byte) bool {
	return func(b []byte) bool { return bytes.Count(b, []byte("\n")) >= n }
}
