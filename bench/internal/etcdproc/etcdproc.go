// Package etcdproc runs a single-member etcd as a child process on loopback:
// the system's etcd binary when there is one, else the embedded etcd of
// ./bench/cmd/benchetcd, built on the fly.
package etcdproc

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Options say where and how to run etcd.
type Options struct {
	DataDir string    // created if missing
	Binary  string    // etcd binary; "" to use the embedded etcd
	Module  string    // module root, to build ./bench/cmd/benchetcd
	BinDir  string    // where to build it
	Log     io.Writer // etcd's output
}

// Server is a running etcd.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Kind     string // "binary /usr/bin/etcd" or "embedded"
	Version  string // as etcd reports it
	cmd      *exec.Cmd
	exited   chan struct{}
}

// FindBinary returns the etcd binary to prefer: /usr/bin/etcd, else etcd in
// PATH, else "".
func FindBinary() string {
	if _, err := os.Stat("/usr/bin/etcd"); err == nil {
		return "/usr/bin/etcd"
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p
	}
	return ""
}

// Start starts etcd and waits until it serves requests.
func Start(ctx context.Context, o Options) (*Server, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, err
	}
	cport, err := FreePort()
	if err != nil {
		return nil, err
	}
	pport, err := FreePort()
	if err != nil {
		return nil, err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", cport)
	peer := fmt.Sprintf("http://127.0.0.1:%d", pport)
	s := &Server{Endpoint: client, exited: make(chan struct{})}
	bin, args := o.Binary, []string{"--name", "bench", "--data-dir", o.DataDir,
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "bench=" + peer, "--logger", "zap", "--log-level", "error"}
	s.Kind = "binary " + bin
	if bin == "" {
		if bin, err = buildEmbedded(ctx, o); err != nil {
			return nil, err
		}
		args = []string{"-data-dir", o.DataDir, "-client", client, "-peer", peer}
		s.Kind = "embedded (go.etcd.io/etcd/server/v3/embed, ./bench/cmd/benchetcd)"
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = o.Log, o.Log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func buildEmbedded(ctx context.Context, o Options) (string, error) {
	out := filepath.Join(o.BinDir, "benchetcd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./bench/cmd/benchetcd")
	cmd.Dir, cmd.Stdout, cmd.Stderr = o.Module, o.Log, o.Log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build embedded etcd: %w", err)
	}
	return out, nil
}

// waitReady polls etcd for up to 30 s and records its version.
func (s *Server) waitReady(ctx context.Context) error {
	cli, err := s.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("etcd exited at start: %v", s.cmd.ProcessState)
		default:
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := cli.Status(sctx, s.Endpoint)
		cancel()
		if err == nil {
			s.Version = st.Version
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("etcd at %s not ready after 30s", s.Endpoint)
}

// Client returns a new client of the server.
func (s *Server) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
}

// Pid is the etcd process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop terminates etcd and waits for it (killing it after 10 s).
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
