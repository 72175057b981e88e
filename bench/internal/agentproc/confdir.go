// Package agentproc writes a confd configuration directory and runs
// `confwatch run` on it as a child process, reading its CPU time, peak memory,
// log and reload count.
package agentproc

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Resource is the one template resource of a confdir.
type Resource struct {
	Template  string   // template text
	DestName  string   // file name under <dir>/out
	Keys      []string // the resource's keys
	CheckCmd  string   // may use {{.src}}; DIR is replaced by the confdir
	ExtraTOML string   // more lines of the [template] table
	// ReloadCmd runs before the reload's time is appended to Reloads; DIR
	// is replaced by the confdir, DEST by the destination. "": none.
	ReloadCmd string
}

// Confdir is a written confd configuration directory with its output and
// bookkeeping files.
type Confdir struct {
	Dir     string
	Dest    string // the rendered file
	Reloads string // one line per reload, the reload's time in ns since the epoch
	Log     string // the agent's stderr (JSON log)
}

// Write creates dir (which must not exist) with conf.d/bench.toml,
// templates/bench.tmpl, out/ and state/. The reload_cmd appends the time to
// Reloads, so reloads can be counted and timed.
func Write(dir string, r Resource) (*Confdir, error) {
	c := &Confdir{Dir: dir, Dest: filepath.Join(dir, "out", r.DestName),
		Reloads: filepath.Join(dir, "reloads"), Log: filepath.Join(dir, "agent.log")}
	for _, d := range []string{"conf.d", "templates", "out", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[template]\nsrc = \"bench.tmpl\"\ndest = %q\nkeys = [", c.Dest)
	for i, k := range r.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", k)
	}
	reload := "date +%s%N >> " + c.Reloads
	if r.ReloadCmd != "" {
		reload = strings.NewReplacer("DIR", dir, "DEST", c.Dest).Replace(r.ReloadCmd) + " && " + reload
	}
	fmt.Fprintf(&b, "]\nreload_cmd = %q\n", reload)
	if r.CheckCmd != "" {
		fmt.Fprintf(&b, "check_cmd = %q\n", strings.ReplaceAll(r.CheckCmd, "DIR", dir))
	}
	b.WriteString(r.ExtraTOML)
	files := map[string]string{"conf.d/bench.toml": b.String(), "templates/bench.tmpl": r.Template, "confwatch.toml": ""}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ReloadTimes returns the time of every reload so far.
func (c *Confdir) ReloadTimes() ([]time.Time, error) {
	f, err := os.Open(c.Reloads)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []time.Time
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ns, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reloads file: %w", err)
		}
		out = append(out, time.Unix(0, ns))
	}
	return out, sc.Err()
}
