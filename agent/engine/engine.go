// Package engine turns etcd data into applied files: it renders each template
// resource from a kv view, runs the guards, and hands the changed ones to
// apply, one transaction per reload group. It is shared by `render` (once),
// `plan` (never applies) and `run` (continuously); the data comes from the
// caller, so the engine itself does not talk to etcd.
package engine

import (
	"context"
	"log/slog"
	"sort"
	"strings"

	"github.com/confwatch/confwatch/agent/apply"
	"github.com/confwatch/confwatch/agent/diag"
	"github.com/confwatch/confwatch/agent/render"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/agent/state"
)

// ReloaderFunc builds the reload action of a group from its first resource;
// nil means the resource has no reload. It is the seam for reload_unit.
type ReloaderFunc func(r *resource.Resource) apply.Reloader

// Options configure an Engine.
type Options struct {
	Log       *slog.Logger
	Noop      bool // render and compare, change nothing
	SyncOnly  bool // write files, run no check and no reload
	Force     bool // apply even what the guards refuse
	Reloaders ReloaderFunc
	State     *state.Store
	Runner    apply.Runner // nil: apply.Shell
}

// Engine holds the loaded resources and their parsed templates.
type Engine struct {
	opts    Options
	res     []*resource.Resource
	tmpl    map[string]*render.Template
	groups  map[string][]*resource.Resource
	applier *apply.Applier
	fails   failures
	// recovered: Recover has run, so this process owns the dests and may
	// finish what an earlier apply left (finish).
	recovered bool
}

// New parses every template once. Problems name the template file and line.
func New(res []*resource.Resource, opts Options) (*Engine, diag.List) {
	if opts.Runner == nil {
		opts.Runner = apply.Shell{}
	}
	if opts.State == nil {
		opts.State = &state.Store{}
	}
	if opts.Reloaders == nil {
		opts.Reloaders = CommandReloaders(opts.Runner)
	}
	e := &Engine{opts: opts, res: res, tmpl: map[string]*render.Template{}, groups: map[string][]*resource.Resource{},
		applier: &apply.Applier{Log: opts.Log, Run: opts.Runner, NoReload: opts.SyncOnly}}
	var probs diag.List
	names := map[string]string{} // Group() -> the group's name
	for _, r := range res {
		t, err := render.ParseFileIn(r.SrcPath, r.TplDir)
		if err != nil {
			probs = append(probs, templateProblem(r, err))
			continue
		}
		e.tmpl[r.Name] = t
		g := groupName(r, names)
		e.groups[g] = append(e.groups[g], r)
	}
	return e, probs
}

// groupName names r's group. Resources sharing a reload_cmd form a group named
// "cmd:" and its first resource's name, never the command: the name is a
// /metrics label and a log field, and a command can carry a credential.
func groupName(r *resource.Resource, names map[string]string) string {
	k := r.Group()
	if !strings.HasPrefix(k, "cmd:") {
		return k
	}
	if n, ok := names[k]; ok {
		return n
	}
	names[k] = "cmd:" + r.Name
	return names[k]
}

// Resources returns the loaded resources in load order.
func (e *Engine) Resources() []*resource.Resource { return e.res }

// Dirs returns every distinct etcd directory any resource reads, sorted.
func (e *Engine) Dirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range e.res {
		for _, d := range r.Dirs {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Groups returns the group names, sorted.
func (e *Engine) Groups() []string {
	out := make([]string, 0, len(e.groups))
	for g := range e.groups {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// Reloads reports whether applies run reload actions (not noop, not
// sync_only): the reload hold has nothing to hold otherwise.
func (e *Engine) Reloads() bool { return !e.opts.Noop && !e.opts.SyncOnly }

// GroupOf returns the resources of group g.
func (e *Engine) GroupOf(g string) []*resource.Resource { return e.groups[g] }

// Sync renders and applies every group from trees at revision rev.
func (e *Engine) Sync(ctx context.Context, src Source) []Result {
	var out []Result
	for _, g := range e.Groups() {
		out = append(out, e.SyncGroup(ctx, g, src)...)
	}
	return out
}
