package history

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// leader is the index of the member that says it leads, or -1.
func (r *rig) leader(ctx context.Context) int {
	for _, i := range r.live() {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		st, err := r.clis[i].Status(cctx, r.c.Members[i].Client)
		cancel()
		if err == nil && st.Leader == st.Header.MemberId {
			return i
		}
	}
	return -1
}

// waitHealthy waits until every member answers a linearizable read (a hang
// guard of a minute, not a timing assertion).
func (r *rig) waitHealthy(ctx context.Context) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for i := range r.clis {
		for {
			cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			_, err := r.clis[i].Get(cctx, "/health")
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				r.t.Fatalf("member %d never answered again: %v", i+1, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// watchMember guesses the member serving the agent's watch: the one whose
// connection from the agent received the most bytes over a second (the
// writer's 50 changes a second of ~100-byte values dwarf the prober's
// answers), and the bytes of each member. -1 when the agent has no
// connection.
func (r *rig) watchMember() (int, []int64) {
	before := r.agentBytes()
	time.Sleep(time.Second)
	after := r.agentBytes()
	best, most := -1, int64(-1)
	var by []int64
	for i, m := range r.c.Members {
		port := m.Client[strings.LastIndex(m.Client, ":")+1:]
		d := after[port] - before[port]
		by = append(by, d)
		if d > most {
			best, most = i, d
		}
	}
	return best, by
}

// agentBytes sums bytes_received per peer port over the agent's TCP sockets
// (ss -tnpi).
func (r *rig) agentBytes() map[string]int64 {
	out := map[string]int64{}
	pid := r.agentPid()
	b, err := exec.Command("ss", "-tnpi").Output()
	if err != nil || pid == 0 {
		return out
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) < 6 || !strings.Contains(lines[i], "pid="+strconv.Itoa(pid)+",") {
			continue
		}
		port := f[4][strings.LastIndex(f[4], ":")+1:]
		for _, g := range strings.Fields(lines[i+1]) {
			if v, ok := strings.CutPrefix(g, "bytes_received:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[port] += n
			}
		}
	}
	return out
}

func (r *rig) freeze(i int) {
	r.setDown(i, true)
	r.c.Freeze(i)
}

func (r *rig) thaw(i int) {
	r.c.Thaw(i)
	r.setDown(i, false)
}

func (r *rig) kill(i int) {
	r.setDown(i, true)
	r.c.Kill(i)
}

func (r *rig) restart(i int) {
	r.c.Restart(i)
	r.setDown(i, false)
}

func (r *rig) setQuorum(q bool) {
	r.mu.Lock()
	r.noQuorum = !q
	r.mu.Unlock()
}

// compact compacts at rev through a live member, then defragments every
// member.
func (r *rig) compact(ctx context.Context, rev int64) error {
	live := r.live()
	if len(live) == 0 {
		return errors.New("no live member")
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := r.clis[live[0]].Compact(cctx, rev, clientv3.WithCompactPhysical()); err != nil {
		return err
	}
	for _, i := range live {
		if _, err := r.clis[i].Defragment(cctx, r.c.Members[i].Client); err != nil {
			return err
		}
	}
	return nil
}

// exitedBy reports how an agent's Wait error ended: "0", "exit N" or the
// signal.
func exitedBy(err error) string {
	var ee *exec.ExitError
	if err == nil {
		return "0"
	}
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal().String()
		}
		return "exit " + strconv.Itoa(ee.ExitCode())
	}
	return err.Error()
}
