package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/confwatch/confwatch/internal/sdbox"
)

// The sidekicks' drain modes of case 1.
const (
	modeBarrier = "barrier (--ack-prefix, then --drain 0.5s)"
	modeFixed   = "fixed --drain 0.5s, no barrier"
)

// drainModes are the modes case 1 runs: the negative control first, then the barrier
// when this confwatch has it.
func (c *cluster) drainModes() []string {
	if c.barrier {
		return []string{modeFixed, modeBarrier}
	}
	return []string{modeFixed}
}

// setDrainMode gives every sidekick the command line of mode and restarts them.
func (c *cluster) setDrainMode(t *testing.T, mode string) {
	t.Helper()
	for _, h := range c.etcdHosts {
		u := c.sidekickMode(t, h, mode)
		h.box.write("/etc/systemd/system/"+u.Name, []byte(u.Content), 0o644)
		h.box.ctl("daemon-reload")
		h.box.ctl("restart", "apache-discovery@"+h.port+".service")
	}
}

// sidekickMode is the drop-in giving h's sidekicks the command line of mode: the
// generated one without the barrier's flags, or with --ack-prefix (added when
// generate-units does not pass it yet).
func (c *cluster) sidekickMode(t *testing.T, h *labHost, mode string) sdbox.UnitFile {
	t.Helper()
	line := ""
	for _, u := range h.units {
		if u.Name == "apache-discovery@.service" {
			line = execStart(u.Content)
		}
	}
	if line == "" {
		t.Fatal("no ExecStart= in the generated sidekick")
	}
	if mode == modeFixed {
		line = dropFlags(line, "--ack-prefix", "--drain-timeout")
	} else if !strings.Contains(line, "--ack-prefix") {
		line += " --ack-prefix " + clAckPrefix
	}
	return sdbox.UnitFile{Name: "apache-discovery@.service.d/lab-mode.conf", Content: "[Service]\nExecStart=\n" + line + "\n"}
}

// execStart is the ExecStart= line of a unit ("" if none).
func execStart(unit string) string {
	for _, l := range strings.Split(unit, "\n") {
		if strings.HasPrefix(l, "ExecStart=") {
			return l
		}
	}
	return ""
}

// dropFlags removes each flag and its value ("--f v" or "--f=v") from a command line.
func dropFlags(line string, flags ...string) string {
	f := strings.Fields(line)
	var out []string
	for i := 0; i < len(f); i++ {
		name, _, _ := strings.Cut(f[i], "=")
		if slices.Contains(flags, name) {
			if !strings.Contains(f[i], "=") {
				i++
			}
			continue
		}
		out = append(out, f[i])
	}
	return strings.Join(out, " ")
}

// stopBackend stops apache@port on h (its sidekick first: deregistration, then the
// barrier or the drain) and returns the time from `systemctl stop` to the backend's
// SIGTERM, with the sidekick's STATUS texts seen meanwhile.
func (c *cluster) stopBackend(t *testing.T, h *labHost, port string) (time.Duration, []string) {
	t.Helper()
	report := "/run/e2e-backend-" + port + ".stop"
	h.box.run("rm", "-f", report)
	sidekick := "apache-discovery@" + port + ".service"
	began := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := h.box.Systemctl("stop", "apache@"+port+".service")
		done <- err
	}()
	var statuses []string
	for stopped := false; !stopped; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("systemctl stop apache@%s: %v", port, err)
			}
			stopped = true
		case <-time.After(50 * time.Millisecond):
			if out, err := h.box.Systemctl("show", "-P", "StatusText", sidekick); err == nil {
				if s := strings.TrimSpace(out); s != "" && !slices.Contains(statuses, s) {
					statuses = append(statuses, s)
				}
			}
		}
	}
	ns, _ := strings.CutPrefix(strings.SplitN(h.box.read(report), "\n", 2)[0], "sigterm-unix-nano=")
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		t.Fatalf("no SIGTERM time from the backend %s: %v", port, err)
	}
	return time.Unix(0, n).Sub(began), statuses
}

// ackStatus is the part of `confwatch status --json` the lab reads.
type ackStatus struct {
	Agents []struct {
		Name    string `json:"name"`
		Counted bool   `json:"counted"`
		Dirs    []struct {
			Dir      string `json:"dir"`
			Revision int64  `json:"revision"`
		} `json:"dirs"`
	} `json:"load_balancers"`
}

// status runs `confwatch status --json` on host h (barrier builds only) and returns,
// per announcing load balancer that a barrier counts, the revision it applied (the
// least over its directories), with the command's output.
func (c *cluster) status(t *testing.T, h *labHost) (map[string]int64, string) {
	t.Helper()
	out, err := h.box.Run("/usr/local/bin/confwatch", "status", "--ack-prefix", clAckPrefix, "--json",
		"--endpoints", strings.Join(c.endpoints, ","))
	if err != nil {
		return nil, err.Error()
	}
	var st ackStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Sprintf("%v: %s", err, out)
	}
	revs := map[string]int64{}
	for _, a := range st.Agents {
		if !a.Counted {
			continue
		}
		revs[a.Name] = -1
		for _, d := range a.Dirs {
			if revs[a.Name] < 0 || d.Revision < revs[a.Name] {
				revs[a.Name] = d.Revision
			}
		}
	}
	return revs, strings.TrimSpace(out)
}

// lastChange is the newest modification revision among the backends' keys: a load
// balancer that applied it routes to the backends as registered now (the ack keys'
// own writes move etcd's revision past it, so status's lag is not 0 for a current LB).
func (c *cluster) lastChange(t *testing.T) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.etcd.Get(ctx, lbKeyDir, clientv3.WithPrefix())
	if err != nil {
		return -1
	}
	var m int64
	for _, kv := range r.Kvs {
		m = max(m, kv.ModRevision)
	}
	return m
}
