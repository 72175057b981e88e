package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/diag"
	"github.com/confwatch/confwatch/agent/render"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

// CommandReloaders gives resources with a reload_cmd a shell reload; the
// caller wraps it to add reload_unit.
func CommandReloaders(run apply.Runner) ReloaderFunc {
	return func(r *resource.Resource) apply.Reloader {
		if r.ReloadCmd == "" {
			return nil
		}
		return &apply.CmdReloader{Cmd: r.ReloadCmd, Dest: r.Dest, Timeout: r.ReloadTimeout.Duration, Run: run}
	}
}

func templateProblem(r *resource.Resource, err error) diag.Problem {
	var re *render.Error
	if errors.As(err, &re) {
		return diag.Problem{File: re.File, Line: re.Line, Col: re.Col, Msg: fmt.Sprintf("%s (resource %s)", re.Msg, r.File)}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == r.SrcPath { // the src itself: said at the resource's file
		return diag.Problem{File: r.File, Msg: fmt.Sprintf("src %s: %v", r.SrcPath, pe.Err)}
	}
	return diag.Problem{File: r.SrcPath, Msg: fmt.Sprintf("%v (resource %s)", err, r.File)}
}

// Action describes what applying r involves, for `plan`.
func (e *Engine) Action(r *resource.Resource) string {
	parts := []string{}
	check := r.CheckCmd != "" && !e.opts.SyncOnly
	if check && !r.InPlaceCheck() {
		parts = append(parts, "check")
	}
	parts = append(parts, "swap")
	if check && r.InPlaceCheck() {
		parts = append(parts, "check in place")
	}
	if rel := e.opts.Reloaders(r); rel != nil && !e.opts.SyncOnly {
		parts = append(parts, rel.String())
	}
	return strings.Join(parts, " + ")
}

// Applied returns what r was last applied from, or nil.
func (e *Engine) Applied(r *resource.Resource) *state.Applied { return e.opts.State.Get(stateKey(r)) }
