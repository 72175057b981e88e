package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
)

// The agent's own unit matters because of ordering: with Before=nginx.service,
// systemd runs a job of nginx.service only after every job of the agent's unit
// is done. While the agent's own start job runs (before READY=1), its reload job
// (RELOADING=1 until READY=1) or its stop job (after SIGTERM), a reload of nginx
// queued the ordinary way waits for the agent, and the agent waits for the
// reload: a deadlock that only a timeout ends.

// jobModeFor is the job mode for a job the agent is about to queue: "ignore-dependencies"
// while the agent's own unit (self) has a job, so that the job runs at once instead of
// waiting behind ours; "replace", systemd's default, otherwise (or when self is "").
// ignore-dependencies also skips the new job's requirement dependencies, which for a
// reload of an active unit means only that PropagatesReloadTo= is not followed.
func jobModeFor(ctx context.Context, b bus, self string) (string, error) {
	if self == "" {
		return jobModeReplace, nil
	}
	jobs, err := b.jobs(ctx)
	if err != nil {
		return jobModeReplace, fmt.Errorf("systemd: list jobs: %w", err)
	}
	if slices.ContainsFunc(jobs, func(j Job) bool { return j.Unit == self }) {
		return jobModeNow, nil
	}
	return jobModeReplace, nil
}

// waitingOn returns the agent's own job (zero when it has none) and the jobs waiting
// behind it: queued, not yet running, for units ordered after self. after reports a
// unit's After= list.
func waitingOn(self string, jobs []Job, after func(unit string) ([]string, error)) (Job, []Job, error) {
	var own Job
	for _, j := range jobs {
		if j.Unit == self {
			own = j
		}
	}
	if own.Unit == "" {
		return Job{}, nil, nil
	}
	var waiting []Job
	for _, j := range jobs {
		if j.Unit == self || j.State != "waiting" {
			continue
		}
		deps, err := after(j.Unit)
		if err != nil {
			return own, waiting, err
		}
		if slices.Contains(deps, self) {
			waiting = append(waiting, j)
		}
	}
	return own, waiting, nil
}

// Self names the unit this process runs in ("confwatch.service"), or "" outside one
// that systemd knows (a test talking to another systemd, a login session's scope is
// still named). The answer is kept after the first one systemd gives.
func (m *Manager) Self(ctx context.Context) (string, error) {
	m.mu.Lock()
	known, self := m.selfKnown, m.self
	m.mu.Unlock()
	if known {
		return self, nil
	}
	b, err := m.conn(ctx)
	if err != nil {
		return "", err
	}
	name, err := b.unitOf(ctx, os.Getpid())
	if errors.Is(err, ErrConnection) {
		m.drop(b)
		return "", err
	}
	// Any other error: systemd has no unit for this process.
	m.mu.Lock()
	m.self, m.selfKnown = name, true
	m.mu.Unlock()
	return name, nil
}

// WaitingOnSelf reports the job of the agent's own unit and the jobs of other units
// queued behind it because they are ordered after it (see jobModeFor). Both are empty
// when the agent's unit has no job or the agent runs outside a unit.
func (m *Manager) WaitingOnSelf(ctx context.Context) (own Job, waiting []Job, err error) {
	self, err := m.Self(ctx)
	if err != nil || self == "" {
		return Job{}, nil, err
	}
	b, err := m.conn(ctx)
	if err != nil {
		return Job{}, nil, err
	}
	jobs, err := b.jobs(ctx)
	if err != nil {
		return Job{}, nil, fmt.Errorf("systemd: list jobs: %w", err)
	}
	return waitingOn(self, jobs, func(u string) ([]string, error) { return b.strv(ctx, u, "After") })
}
