package engine

import (
	"log/slog"

	"github.com/confwatch/confwatch/agent/config"
	"github.com/confwatch/confwatch/agent/diag"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

// Load loads the template resources of cfg.ConfDir and builds their Engine.
// opts gives Log, Force, Reloaders and Runner; Noop, SyncOnly and State come
// from cfg: the applied record in cfg.StateDir, read only when cfg.Noop or
// readOnly (plan), and left out, with a warning, when it cannot be written
// (the guards then compare with this process's memory only). Warnings are
// logged; a nil Engine comes with the problems that are errors.
func Load(cfg config.Config, readOnly bool, opts Options) (*Engine, diag.List) {
	res, probs := resource.LoadAll(resource.Options{ConfDir: cfg.ConfDir, Prefix: cfg.Etcd.Prefix, Hold: HoldOf(cfg)})
	for _, p := range probs.Warnings() {
		opts.Log.Warn(p.Error())
	}
	if probs.Err() != nil {
		return nil, probs
	}
	opts.Noop, opts.SyncOnly = cfg.Noop, cfg.SyncOnly
	opts.State = &state.Store{Dir: cfg.StateDir, Log: opts.Log}
	if cfg.Noop || readOnly {
		opts.State.ReadOnly = true
	} else if err := opts.State.Writable(); err != nil {
		opts.Log.Warn("state directory not writable: guards compare with this process's memory only", "dir", cfg.StateDir, "err", err)
		opts.State.Dir = ""
	}
	eng, probs := New(res, opts)
	if probs.Err() != nil {
		return nil, probs
	}
	return eng, nil
}

// Check loads the template resources of cfg.ConfDir for `confwatch check`:
// broken ones are kept, so that every problem is reported, with each
// resource's filesystem problems (FSProblems; mock skips what only a real
// apply needs). It returns the Engine, how many resources there are, and
// every problem, warnings included.
func Check(cfg config.Config, mock bool, log *slog.Logger) (*Engine, int, diag.List) {
	res, probs := resource.LoadAll(resource.Options{ConfDir: cfg.ConfDir, Prefix: cfg.Etcd.Prefix, Hold: HoldOf(cfg), KeepBroken: true})
	for _, r := range res {
		probs = append(probs, r.FSProblems(mock)...)
	}
	eng, tprobs := New(res, Options{Log: log})
	return eng, len(res), append(probs, tprobs...)
}

// HoldOf is the agent's default reload hold from cfg (max_draining,
// max_hold), for resource.Options.
func HoldOf(cfg config.Config) *resource.Hold {
	return &resource.Hold{MaxDraining: cfg.MaxDraining, MaxHold: cfg.MaxHold.Duration}
}
