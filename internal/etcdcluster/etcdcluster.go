// Package etcdcluster runs a real etcd cluster for tests: three members of
// Debian's /usr/bin/etcd on loopback ports, each a separate process so a test
// can freeze (SIGSTOP), thaw, kill and restart one. Tests skip without the
// binary, and fail instead under SDBOX_REQUIRE (CI), like e2e.
package etcdcluster

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binary is the etcd server the cluster runs.
const Binary = "/usr/bin/etcd"

// Cluster is a running cluster; Stop (registered with t.Cleanup) ends it.
type Cluster struct {
	t       testing.TB
	dir     string
	initial string
	Members []*Member
}

// Member is one etcd process.
type Member struct {
	Name, Client, Peer string
	dir                string
	cmd                *exec.Cmd
}

// Start runs a three-member cluster and waits until it has a leader.
func Start(t testing.TB) *Cluster {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("SDBOX_REQUIRE") != "" {
			t.Fatalf("SDBOX_REQUIRE is set, but %s is missing: %v", Binary, err)
		}
		t.Skipf("needs a real etcd server at %s (apt-get install etcd-server): %v", Binary, err)
	}
	c := &Cluster{t: t, dir: t.TempDir()}
	var peers []string
	for i := range 3 {
		m := &Member{Name: fmt.Sprintf("m%d", i+1), Client: "http://" + freePort(t), Peer: "http://" + freePort(t)}
		m.dir = filepath.Join(c.dir, m.Name)
		c.Members = append(c.Members, m)
		peers = append(peers, m.Name+"="+m.Peer)
	}
	c.initial = strings.Join(peers, ",")
	for _, m := range c.Members {
		c.run(m, "new")
	}
	t.Cleanup(c.Stop)
	return c
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.Members))
	for i, m := range c.Members {
		eps[i] = m.Client
	}
	return eps
}

func (c *Cluster) run(m *Member, state string) {
	c.t.Helper()
	cmd := exec.Command(Binary, "--name", m.Name, "--data-dir", m.dir,
		"--listen-client-urls", m.Client, "--advertise-client-urls", m.Client,
		"--listen-peer-urls", m.Peer, "--initial-advertise-peer-urls", m.Peer,
		"--initial-cluster", c.initial, "--initial-cluster-state", state,
		"--unsafe-no-fsync", "--log-level", "error")
	log, err := os.OpenFile(filepath.Join(c.dir, m.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start etcd %s: %v", m.Name, err)
	}
	m.cmd = cmd
}

// Freeze stops member i (SIGSTOP): its TCP connections stay open, it answers
// nothing.
func (c *Cluster) Freeze(i int) { c.signal(i, syscall.SIGSTOP) }

// Thaw resumes a frozen member.
func (c *Cluster) Thaw(i int) { c.signal(i, syscall.SIGCONT) }

// Kill kills member i (SIGKILL) and waits for it.
func (c *Cluster) Kill(i int) {
	m := c.Members[i]
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}

// Restart starts a killed member again on its data directory.
func (c *Cluster) Restart(i int) { c.run(c.Members[i], "existing") }

func (c *Cluster) signal(i int, sig syscall.Signal) {
	if m := c.Members[i]; m.cmd != nil {
		if err := m.cmd.Process.Signal(sig); err != nil {
			c.t.Errorf("signal %v to etcd %s: %v", sig, m.Name, err)
		}
	}
}

// Stop kills every member.
func (c *Cluster) Stop() {
	for i := range c.Members {
		c.Thaw(i)
		c.Kill(i)
	}
}

// freePort returns a loopback address free a moment ago, for an etcd
// process to bind later. It is drawn below the kernel's ephemeral port range
// (ip_local_port_range), where port 0 binds and outgoing connections take
// their source ports: a port from there can be taken by any connection of
// another test before the member binds it (and the member then exits,
// "address already in use").
func freePort(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	for range 100 {
		if low <= 10000 {
			break
		}
		addr := fmt.Sprintf("127.0.0.1:%d", 10000+rand.IntN(low-10000))
		if l, err := net.Listen("tcp", addr); err == nil {
			_ = l.Close()
			return addr
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ephemeralLow is the first port of the ephemeral range (0 if unknown).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// WaitTimeout bounds waits for the cluster to be usable in tests.
const WaitTimeout = 20 * time.Second
