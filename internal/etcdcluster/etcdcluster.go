// Package etcdcluster runs a real etcd cluster for tests: three members of
// Debian's /usr/bin/etcd on loopback ports, each a separate process so a test
// can freeze (SIGSTOP), thaw, kill and restart one. Tests skip without the
// binary, and fail instead under SDBOX_REQUIRE (CI), like e2e.
//
// CONFWATCH_ETCD runs another etcd server instead (make etcd-upstream builds
// the release go.mod names); CONFWATCH_ETCD_LOG_LEVEL (default error) and
// CONFWATCH_ETCD_LOGS (a directory that outlives the test) keep the members'
// logs for a look afterwards.
package etcdcluster

import (
	"context"
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

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Binary is the etcd server the cluster runs: $CONFWATCH_ETCD when set (an
// etcd built from the go.etcd.io/etcd/server/v3 module, say, to compare
// releases), else Debian's.
var Binary = binary()

func binary() string {
	if b := os.Getenv("CONFWATCH_ETCD"); b != "" {
		return b
	}
	return "/usr/bin/etcd"
}

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
	c.Leader(t)
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
		"--unsafe-no-fsync", "--log-level", logLevel())
	log, err := os.OpenFile(filepath.Join(logDir(c.dir), m.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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

// logLevel is $CONFWATCH_ETCD_LOG_LEVEL, else error.
func logLevel() string {
	if l := os.Getenv("CONFWATCH_ETCD_LOG_LEVEL"); l != "" {
		return l
	}
	return "error"
}

// logDir is where the members' logs go: $CONFWATCH_ETCD_LOGS, which outlives
// the test, when set; else the cluster's temporary directory.
func logDir(tmp string) string {
	if d := os.Getenv("CONFWATCH_ETCD_LOGS"); d != "" {
		return d
	}
	return tmp
}

// Leader is the index of the member that says it leads, asking each in
// turn until one does (within WaitTimeout).
func (c *Cluster) Leader(t testing.TB) int {
	t.Helper()
	for end := time.Now().Add(WaitTimeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if l := c.leader(); l >= 0 {
			return l
		}
	}
	t.Fatalf("no leader within %v", WaitTimeout)
	return -1
}

func (c *Cluster) leader() int {
	for i, m := range c.Members {
		if m.cmd == nil {
			continue
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{m.Client}, DialTimeout: time.Second, Logger: zap.NewNop()})
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		st, err := cli.Status(ctx, m.Client)
		cancel()
		_ = cli.Close()
		if err == nil && st.Leader == st.Header.MemberId {
			return i
		}
	}
	return -1
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
