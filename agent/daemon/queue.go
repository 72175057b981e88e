package daemon

import (
	"github.com/confwatch/confwatch/agent/apply"

	"context"
	"fmt"
	"strings"
	"time"

	"github.com/confwatch/confwatch/agent/systemd"
	"github.com/confwatch/confwatch/sdnotify"
)

// queuePoll is how often watchQueue looks at systemd's job queue.
const queuePoll = 500 * time.Millisecond

// watchQueue looks, while the agent starts or stops, for jobs that systemd holds
// behind the agent's own job because their unit is ordered after the agent's (nginx
// with Before=nginx.service). A reload_cmd going through systemctl (`service nginx
// reload`) queues such a job and waits for it, while the agent's start waits for the
// reload: a deadlock. Before READY=1 the agent then sends READY=1 early (the files are
// checked and in place; only the reload is pending), so the job can run. During a stop
// it calls abandon: the agent stops waiting for the apply and exits, the queued job
// runs after it, and the next start redoes the unfinished apply. reload_unit never
// needs this: its jobs are queued so that they do not wait (systemd.Manager.Reload).
// It returns when ctx ends.
func (d *daemon) watchQueue(ctx context.Context, sv *supervisor, abandon func()) {
	if !d.opts.Notify.Enabled() || d.opts.Manager == nil {
		return
	}
	tick := time.NewTicker(queuePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		stopping := d.ctx.Err() != nil
		// Only a reload command of ours can be waiting for a held job: a start
		// job of nginx held behind our start is the boot ordering working.
		if (!stopping && sv.isReady()) || apply.ReloadsRunning() == 0 {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		own, waiting, err := d.opts.Manager.WaitingOnSelf(qctx)
		cancel()
		if err != nil || len(waiting) == 0 {
			continue
		}
		note := waitingNote(own, waiting)
		if stopping {
			sv.s.Log.Warn("a reload waits for this unit's stop: not waiting for the apply any longer; the next start redoes it", "jobs", note)
			abandon()
			return
		}
		sv.readyEarly(note)
	}
}

// waitingNote describes the jobs held behind own, e.g. "nginx.service reload waits for
// confwatch.service start".
func waitingNote(own systemd.Job, waiting []systemd.Job) string {
	var parts []string
	for _, j := range waiting {
		parts = append(parts, j.Unit+" "+j.Type)
	}
	return fmt.Sprintf("%s waits for %s %s (ordered after it)", strings.Join(parts, ", "), own.Unit, own.Type)
}

// readyEarly sends READY=1 before ready_when holds, because a job the agent waits for
// is queued behind the agent's own start (see watchQueue).
func (sv *supervisor) readyEarly(note string) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.ready {
		return
	}
	sv.ready, sv.early = true, true
	sv.s.Log.Warn("ready before the first apply finished: a reload command's job is queued behind this unit's start; "+
		"use reload_unit, or `systemctl reload --job-mode=ignore-dependencies UNIT` in reload_cmd", "jobs", note)
	sv.t.Note("ready early: " + note + "; use reload_unit or --job-mode=ignore-dependencies")
	sv.lastLine = sv.t.Line(time.Now())
	sv.send(sdnotify.LineReady, sdnotify.StatusLine(sv.lastLine))
}

func (sv *supervisor) isReady() bool {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.ready
}
