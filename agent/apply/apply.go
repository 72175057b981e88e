package apply

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/confwatch/confwatch/internal/atomicfile"
)

// Item is one resource's rendered candidate.
type Item struct {
	Name         string
	Dest         string
	Data         []byte
	Mode         fs.FileMode // 0: keep dest's mode, else 0644
	UID, GID     int         // -1: keep dest's owner, else the agent's effective ids
	CheckCmd     string
	CheckTimeout time.Duration
	// CheckInPlace runs CheckCmd with the candidate already at Dest (the
	// previous file comes back if the check fails, and nothing reloads in
	// between): for checks of a service's whole configuration, such as
	// `nginx -t`, that cannot be pointed at the staged file.
	CheckInPlace bool
	// Unsettled says an earlier apply of this file did not finish (the agent
	// died, or a rollback or its reload failed): apply it as changed even
	// when the bytes match, so it is checked and reloaded, and roll back, if
	// this apply fails, to the file that earlier apply kept beside dest.
	Unsettled bool
}

// ErrNotRunning is wrapped by a Reloader's error when the service is not
// running, so there was nothing to reload: the new files stay in place (the
// service reads them when it starts) and nothing is rolled back.
var ErrNotRunning = errors.New("service not running")

// Reloader is one group's reload action: CmdReloader for a reload_cmd,
// systemd.Reloader for a reload_unit.
type Reloader interface {
	Reload(ctx context.Context) error
	String() string
}

// Runner runs a shell command line with a timeout (Shell in production).
type Runner interface {
	Run(ctx context.Context, cmd string, timeout time.Duration) ([]byte, error)
}

// Group is one transaction: items that share a reload action.
type Group struct {
	Name   string
	Items  []Item
	Reload Reloader // nil: no reload
}

// Stage names where a transaction stopped.
type Stage string

// Stages of a transaction.
const (
	StageNone   Stage = ""
	StageStage  Stage = "stage"
	StageCheck  Stage = "check"
	StageSwap   Stage = "swap"
	StageReload Stage = "reload"
)

// Result is the outcome for one item.
type Result struct {
	Name    string
	Dest    string
	Changed bool  // the file differed from the candidate
	Applied bool  // the candidate is in place (and reloaded, when there is a reload)
	Err     error // nil on success
	Stage   Stage // where it failed
	// Unsettled: the service may not match dest (a rollback or the reload
	// after it failed, or an interrupted apply this one inherited is not
	// finished); what is kept beside dest stays, and the next apply (with
	// Item.Unsettled) must redo it.
	Unsettled bool
}

// Outcome is the outcome of one transaction.
type Outcome struct {
	Results    []Result
	Reloaded   bool
	RolledBack bool
	Check      time.Duration // staging and checking: before the swap, and in place after it
	ReloadTime time.Duration
}

// Err joins the errors of the results.
func (o Outcome) Err() error {
	var errs []error
	for _, r := range o.Results {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, r.Err))
		}
	}
	return errors.Join(errs...)
}

// Applier runs transactions.
type Applier struct {
	Log      *slog.Logger
	Run      Runner
	NoReload bool // sync-only: write files, run no check or reload
}

type pending struct {
	item Item
	path string // the file written: Dest, or the file a symlink at Dest points to
	// cur is what path holds now; old is what a rollback restores: cur or,
	// when an interrupted apply kept its previous file, that file.
	cur, old   atomicfile.Current
	want       atomicfile.Attrs // mode and owner resolved from item and what path holds
	staged     string
	swapped    bool     // dest differs from old: by this apply's write, or inherited
	wrote      bool     // this apply wrote dest
	kept       bool     // the previous file is kept beside path (keep)
	keptKind   keepKind // and of what kind
	keptExists bool     // a copy of a file, not the marker that there was none
	// inherited: kept by an interrupted apply (swapped: and dest differs
	// from it), whose rollback target it is until this apply finishes.
	inherited     bool
	inheritedKind keepKind
}

// Apply runs the transaction for g. Context cancellation is honoured before
// the swap and by the checks and the reload; a started swap always finishes
// or is rolled back.
func (a *Applier) Apply(ctx context.Context, g Group) Outcome {
	var out Outcome
	var todo []*pending
	for _, it := range g.Items {
		p, changed, err := a.prepare(it)
		res := Result{Name: it.Name, Dest: it.Dest, Changed: changed, Applied: err == nil && !changed}
		if err != nil {
			res.Err, res.Stage = err, StageStage
		}
		out.Results = append(out.Results, res)
		if changed && err == nil {
			todo = append(todo, p)
		}
	}
	if failed(out) {
		a.cleanup(todo)
		return a.fail(ctx, g, out, todo, &stageErr{StageStage, fmt.Errorf("not applied: %s, in the same group, could not be read", firstFailed(out)), ""}, false)
	}
	if len(todo) == 0 {
		return out
	}
	defer a.cleanup(todo)
	t0 := time.Now()
	err := a.stageAndCheck(ctx, todo)
	out.Check = time.Since(t0)
	if err != nil {
		return a.fail(ctx, g, out, todo, err, false)
	}
	// The previous files stay on disk until the reload has succeeded (or the
	// in-place check passed, without a reload), so that a kill at any point
	// leaves something to return to (see keepPrevious).
	reload := g.Reload != nil && !a.NoReload
	if err := ctx.Err(); err != nil { // stopping: swap nothing more
		return a.fail(ctx, g, out, todo, &stageErr{StageStage, err, ""}, false)
	}
	if err := a.keepPrevious(todo, reload); err != nil {
		return a.fail(ctx, g, out, todo, err, false)
	}
	if err := a.swapAll(todo); err != nil {
		return a.fail(ctx, g, out, todo, err, false)
	}
	t1 := time.Now()
	err = a.checkInPlace(ctx, todo)
	out.Check += time.Since(t1)
	if err != nil {
		return a.fail(ctx, g, out, todo, err, false)
	}
	if !reload {
		// Checked as a whole: a kill while the kept files go must not put
		// back some of them.
		a.commit(todo)
		a.dropKept(todo, true)
		return mark(out, todo, nil)
	}
	a.commit(todo) // dest now holds the whole checked set
	t2 := time.Now()
	err = g.Reload.Reload(ctx)
	out.ReloadTime = time.Since(t2)
	if err == nil {
		out.Reloaded = true
		a.dropKept(todo, true)
		return mark(out, todo, nil)
	}
	if errors.Is(err, ErrNotRunning) {
		a.dropKept(todo, true)
		// The normal boot case (the service is ordered after the agent): info.
		a.Log.Info("not reloaded: it reads the new files when it starts", "group", g.Name, "why", err)
		return mark(out, todo, nil)
	}
	err = &stageErr{StageReload, fmt.Errorf("%s: %w", g.Reload, err), ""}
	a.Log.Error("reload failed: rolling back", "group", g.Name, "err", err)
	return a.fail(ctx, g, out, todo, err, true)
}

// fail ends a transaction that failed with err. What was swapped, by this
// apply or by the interrupted one it inherited, is rolled back to what it
// replaced; then, when the service may have read anything else (this
// apply's reload ran, or an inherited swap was undone), the group is
// reloaded again, bounded. Files the service may not match stay kept beside
// dest, and their results unsettled, for the next apply (or start) to
// finish.
//
// When ctx has ended (the agent is stopping), what an interrupted apply left
// is not undone: only this apply's own writes are, and the kept files stay
// for the next start.
func (a *Applier) fail(ctx context.Context, g Group, out Outcome, todo []*pending, err error, reloaded bool) Outcome {
	out = mark(out, todo, err)
	stopping := ctx.Err() != nil
	var se *stageErr
	// Only a check or a reload that fails now condemns what an interrupted
	// apply left (it had passed its checks); any other failure (a full disk,
	// a sibling that cannot be read, a stop) leaves it as it was, kept.
	condemns := !stopping && errors.As(err, &se) && (se.stage == StageCheck || se.stage == StageReload)
	undoesInherited := false
	for _, p := range todo {
		if !condemns && p.inherited { // back to how the interrupted apply left it
			p.old, p.swapped = p.cur, p.wrote
		}
		undoesInherited = undoesInherited || p.swapped && p.inherited
	}
	unfinished := errors.New("an interrupted apply of it is not finished")
	if !anySwapped(todo) {
		a.dropKept(todo, false)
		for _, p := range inheritedOf(todo) {
			a.relabel([]*pending{p}, p.inheritedKind, true) // as the interrupted apply left it
		}
		return markUnsettled(out, inheritedOf(todo), unfinished)
	}
	a.relabel(todo, unchecked, true) // a kill mid-rollback: the next start finishes it
	if rerr := a.rollback(todo); rerr != nil {
		return markUnsettled(out, todo, rerr) // the kept files stay: Recover puts them back
	}
	out.RolledBack = true
	if stopping || !condemns && len(inheritedOf(todo)) > 0 {
		a.relabel(todo, unreloaded, true)
		if !reloaded {
			a.dropKept(todo, false)
			return markUnsettled(out, inheritedOf(todo), unfinished)
		}
		return markUnsettled(out, todo, fmt.Errorf("no reload after rollback: %w", ctx.Err()))
	}
	if g.Reload == nil || a.NoReload || !reloaded && !undoesInherited {
		a.dropKept(todo, true)
		return out
	}
	// dest holds the previous set again, each file as kept: kept as
	// unreloaded, they now say that its reload is pending.
	a.relabel(todo, unreloaded, true)
	// Reload the restored files, bounded. (Not once ctx has ended, above:
	// the agent is then abandoning its applies on the way out, a stop's
	// grace ran out, or a reload job waits behind the agent's own stop, so
	// this reload would only wait for it too.)
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	rerr := g.Reload.Reload(rctx)
	cancel()
	if rerr == nil || errors.Is(rerr, ErrNotRunning) {
		a.dropKept(todo, true)
		return out
	}
	a.Log.Error("reload after rollback failed too", "group", g.Name, "err", rerr)
	return markUnsettled(out, todo, fmt.Errorf("reload after rollback: %w", rerr))
}

func anySwapped(todo []*pending) bool {
	for _, p := range todo {
		if p.swapped {
			return true
		}
	}
	return false
}

// inheritedOf is the pendings that hold a file kept by an interrupted apply.
func inheritedOf(todo []*pending) []*pending {
	var out []*pending
	for _, p := range todo {
		if p.inherited && p.kept {
			out = append(out, p)
		}
	}
	return out
}

// markUnsettled flags every attempted result as unsettled, adding why.
func markUnsettled(o Outcome, todo []*pending, why error) Outcome {
	names := map[string]bool{}
	for _, p := range todo {
		names[p.item.Name] = true
	}
	for i := range o.Results {
		if r := &o.Results[i]; names[r.Name] {
			r.Unsettled = true
			r.Err = errors.Join(r.Err, why)
		}
	}
	return o
}

// prepare compares the candidate with the destination. A symlink at Dest is
// written through: its target is the file replaced.
func (a *Applier) prepare(it Item) (*pending, bool, error) {
	path, err := atomicfile.Resolve(it.Dest)
	if err != nil {
		return nil, false, err
	}
	cur, err := atomicfile.Read(path)
	if err != nil {
		return nil, false, err
	}
	var k kept
	if it.Unsettled { // an interrupted apply may have kept what it replaced
		if k, err = findKept(path); err != nil {
			return nil, false, err
		}
	}
	p := &pending{item: it, path: path, cur: cur, old: cur, want: atomicfile.Attrs{Mode: it.Mode, UID: it.UID, GID: it.GID}}
	if k.found { // finish the interrupted apply: roll back, if need be, to what it replaced
		p.old, p.kept, p.keptKind, p.keptExists, p.inherited, p.inheritedKind = k.old, true, k.kind, k.old.Exists, true, k.kind
		p.swapped = !sameAs(cur, k.old)
	}
	w := &p.want
	if w.Mode == 0 {
		w.Mode = 0o644
		if cur.Exists {
			w.Mode = cur.Mode
		}
	}
	// Unset owner: keep dest's when we may give files away (root), else
	// the file becomes ours, as confd does.
	root := os.Geteuid() == 0
	if w.UID < 0 {
		w.UID = pick(cur.Exists && root, cur.UID, os.Geteuid())
	}
	if w.GID < 0 {
		w.GID = pick(cur.Exists && root, cur.GID, os.Getegid())
	}
	return p, it.Unsettled || !cur.Same(it.Data, p.want), nil
}

func pick(useOld bool, old, def int) int {
	if useOld && old >= 0 {
		return old
	}
	return def
}

// firstFailed names the first result with an error.
func firstFailed(o Outcome) string {
	for _, r := range o.Results {
		if r.Err != nil {
			return r.Name
		}
	}
	return ""
}

func failed(o Outcome) bool {
	for _, r := range o.Results {
		if r.Err != nil {
			return true
		}
	}
	return false
}
