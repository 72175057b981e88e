package ack

import (
	"fmt"
	"sort"
	"strings"
)

// Wait is how far the announcing agents are from a revision, for one key:
// Total agents announce a directory holding the key, and Behind lists those
// whose configuration does not reflect the revision yet.
type Wait struct {
	Key      string
	Revision int64
	Total    int
	Behind   []Behind // by name
}

// Behind is one agent a barrier still waits for, at the lowest revision its
// directories holding the key reflect.
type Behind struct {
	Name     string
	Dir      string
	Revision int64
	Result   string
	Error    string
}

// Done reports whether every announcing agent reached the revision.
func (w Wait) Done() bool { return len(w.Behind) == 0 }

// Progress computes, from the entries read under the prefix, how far the
// agents are from rev for key. Only live entries count (see Entry.Live), and
// of each, only the directories that hold key; an agent counts once,
// reached when each such directory reflects at least rev.
func Progress(entries map[string]Entry, key string, rev int64) Wait {
	w := Wait{Key: key, Revision: rev}
	for _, e := range entries {
		if !e.Live() {
			continue
		}
		var low *Behind
		counted := false
		for dir, d := range e.Record.Dirs {
			if !Covers(dir, key) {
				continue
			}
			counted = true
			if d.Revision < rev && (low == nil || d.Revision < low.Revision) {
				low = &Behind{Name: e.Record.Name, Dir: dir, Revision: d.Revision, Result: d.Result, Error: d.Error}
			}
		}
		if counted {
			w.Total++
		}
		if low != nil {
			w.Behind = append(w.Behind, *low)
		}
	}
	sort.Slice(w.Behind, func(i, j int) bool { return w.Behind[i].Name < w.Behind[j].Name })
	return w
}

// String is the STATUS= line of a waiting barrier: "waiting for 1 of 2 load
// balancers: lb-b at rev 41 < 43", or, once done, "all 2 load balancers at
// rev >= 43".
func (w Wait) String() string {
	if w.Done() {
		return fmt.Sprintf("all %d load balancer%s at rev >= %d", w.Total, plural(w.Total), w.Revision)
	}
	parts := make([]string, len(w.Behind))
	for i, b := range w.Behind {
		parts[i] = fmt.Sprintf("%s at rev %d < %d", b.Name, b.Revision, w.Revision)
		if failing(b.Result) {
			parts[i] += " (" + b.Result + ")"
		}
	}
	return fmt.Sprintf("waiting for %d of %d load balancer%s: %s", len(w.Behind), w.Total, plural(w.Total),
		strings.Join(parts, ", "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
