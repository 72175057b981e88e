package ack

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Summary is what `confwatch status` shows: every key under the prefix, and
// how far each agent's directories are behind etcd.
type Summary struct {
	Prefix   string     `json:"prefix"`
	Revision int64      `json:"revision"` // etcd's revision when read
	Agents   []AgentRow `json:"load_balancers"`
}

// AgentRow is one announcing agent.
type AgentRow struct {
	Name    string    `json:"name"`
	Key     string    `json:"key"`
	Counted bool      `json:"counted"`           // a barrier waits for it (live lease, valid record)
	Problem string    `json:"problem,omitempty"` // why it is not counted
	At      time.Time `json:"at"`                // when it last announced
	Dirs    []DirRow  `json:"dirs"`
}

// DirRow is one directory of an agent. Lag counts the revisions etcd has
// moved on since: the directory itself may not have changed in them.
type DirRow struct {
	Dir      string    `json:"dir"`
	Revision int64     `json:"revision"`
	Lag      int64     `json:"lag"`
	At       time.Time `json:"at"`
	AgeSec   float64   `json:"age_seconds"`
	Result   string    `json:"result"`
	Error    string    `json:"error,omitempty"`
}

// Summarize builds the summary of entries read at etcd revision rev, at now.
func Summarize(prefix string, entries []Entry, rev int64, now time.Time) Summary {
	s := Summary{Prefix: prefix, Revision: rev, Agents: []AgentRow{}}
	for _, e := range entries {
		a := AgentRow{Name: e.Record.Name, Key: e.Key, Counted: e.Live(), At: e.Record.At, Dirs: []DirRow{}}
		switch {
		case e.Err != nil:
			a.Problem = "not an announcement: " + e.Err.Error()
		case e.Lease == 0:
			a.Problem = "no lease: never expires, not counted"
		}
		for dir, d := range e.Record.Dirs {
			a.Dirs = append(a.Dirs, DirRow{Dir: dir, Revision: d.Revision, Lag: max(rev-d.Revision, 0), At: d.At,
				AgeSec: now.Sub(d.At).Round(time.Second).Seconds(), Result: d.Result, Error: d.Error})
		}
		sort.Slice(a.Dirs, func(i, j int) bool { return a.Dirs[i].Dir < a.Dirs[j].Dir })
		s.Agents = append(s.Agents, a)
	}
	sort.Slice(s.Agents, func(i, j int) bool { return s.Agents[i].Key < s.Agents[j].Key })
	return s
}

// WriteJSON writes the summary as indented JSON.
func (s Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// WriteText writes one line per agent: its name, then per directory the
// revision applied, the lag behind etcd, the age and the last result.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	counted := 0
	for _, a := range s.Agents {
		if a.Counted {
			counted++
		}
	}
	fmt.Fprintf(&b, "etcd at rev %d; %d load balancer%s announcing under %s", s.Revision, counted, plural(counted), s.Prefix)
	if n := len(s.Agents) - counted; n > 0 {
		fmt.Fprintf(&b, " (%d other key%s, not counted)", n, plural(n))
	}
	b.WriteString("\n")
	for _, a := range s.Agents {
		if a.Problem != "" {
			fmt.Fprintf(&b, "%s: %s\n", a.Name, a.Problem)
			continue
		}
		parts := make([]string, len(a.Dirs))
		for i, d := range a.Dirs {
			parts[i] = fmt.Sprintf("%s rev %d (lag %d, %s ago, %s)", d.Dir, d.Revision, d.Lag,
				time.Duration(d.AgeSec*float64(time.Second)), d.Result)
			if d.Error != "" {
				parts[i] = strings.TrimSuffix(parts[i], ")") + ": " + firstLine(d.Error) + ")"
			}
		}
		if len(parts) == 0 {
			parts = []string{"nothing applied yet"}
		}
		fmt.Fprintf(&b, "%s: %s\n", a.Name, strings.Join(parts, "; "))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
