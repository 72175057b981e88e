package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/urfave/cli/v2"

	"github.com/confwatch/confwatch/agent/engine"
	"github.com/confwatch/confwatch/agent/etcd"
	"github.com/confwatch/confwatch/agent/resource"
	"github.com/confwatch/confwatch/internal/atomicfile"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:  "plan",
		Usage: "show what render would change, and change nothing",
		Description: "For each resource: the etcd revision rendered from, the keys changed since the last apply,\n" +
			"a unified diff against the current destination, and the action that would follow (none,\n" +
			"check + swap + reload) or the guard that would refuse it. Exit status 0 when nothing would\n" +
			"change, 1 when something would (or would be refused or fail), as `diff` does.",
		Flags:  append(commandFlags(), &cli.BoolFlag{Name: "force", Usage: "plan as render --force would apply"}),
		Action: planAction,
	}
}

func planAction(c *cli.Context) error {
	s, err := prepareMode(c, c.Bool("force"), true, systemdReloaders)
	if err != nil {
		return err
	}
	cl, err := s.connect(c.Context)
	if err != nil {
		return err
	}
	defer cl.Close()
	snap, err := s.snapshot(c.Context, cl)
	if err != nil {
		return err
	}
	trees := snap.Trees()
	pending := 0
	for _, r := range s.eng.Resources() {
		if planOne(c.App.Writer, s.eng, r, snap, s.eng.Prepare(r, trees)) {
			pending++
		}
	}
	if pending > 0 {
		return cli.Exit("", exitFailed)
	}
	return nil
}

// planOne prints the plan of one resource and reports whether it is not in
// its wanted state.
func planOne(w io.Writer, eng *engine.Engine, r *resource.Resource, snap *etcd.Snapshot, c engine.Candidate) bool {
	fmt.Fprintf(w, "== %s -> %s (etcd revision %d)\n", r.Name, r.Dest, c.Revision)
	printChangedKeys(w, eng, r, snap)
	if c.Err != nil {
		fmt.Fprintf(w, "action: none: render failed: %v\n\n", c.Err)
		return true
	}
	f, err := atomicfile.Read(r.Dest) // never blocks on a FIFO dest
	cur := f.Data
	if err == nil && f.Exists && string(cur) == string(c.Data) {
		fmt.Fprintf(w, "action: none (up to date)\n\n")
		return false
	}
	diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(cur)), B: difflib.SplitLines(string(c.Data)),
		FromFile: r.Dest, ToFile: r.Dest + " (rendered)", Context: 3})
	fmt.Fprint(w, diff)
	if c.Refused != nil {
		fmt.Fprintf(w, "action: none: %v\n\n", c.Refused)
		return true
	}
	fmt.Fprintf(w, "action: %s\n\n", eng.Action(r))
	return true
}

// printChangedKeys lists keys changed since the last recorded apply.
func printChangedKeys(w io.Writer, eng *engine.Engine, r *resource.Resource, snap *etcd.Snapshot) {
	prev := eng.Applied(r)
	if prev == nil {
		fmt.Fprintf(w, "keys: no earlier apply recorded\n")
		return
	}
	var changed []string
	total, created := 0, 0
	for _, d := range r.Dirs {
		for _, e := range snap.Dirs[d] {
			total++
			switch {
			case e.CreateRevision > prev.Revision:
				created++
				changed = append(changed, "+ "+e.Key)
			case e.ModRevision > prev.Revision:
				changed = append(changed, "~ "+e.Key)
			}
		}
	}
	sort.Strings(changed)
	before := 0
	for _, n := range prev.Counts {
		before += n
	}
	removed := before - (total - created)
	fmt.Fprintf(w, "keys since revision %d: %d added or changed, %d removed\n", prev.Revision, len(changed), max(removed, 0))
	for i, k := range changed {
		if i == 50 {
			fmt.Fprintf(w, "  ... and %d more\n", len(changed)-50)
			break
		}
		fmt.Fprintf(w, "  %s\n", k)
	}
}
