package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// blackhole accepts TCP connections and never answers: an etcd host whose
// process is wedged, or a firewall that accepts and drops.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read or written
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// cwBounded is cw with a hang guard: a command still running after 30 s fails the test.
func cwBounded(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	type res struct {
		code      int
		out, errs string
	}
	ch := make(chan res, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"confwatch"}, args...), &out, &errb)
		ch <- res{code, out.String(), errb.String()}
	}()
	select {
	case r := <-ch:
		return r.code, r.out, r.errs
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("confwatch %v still running after 30s: a hang", args)
		return 0, "", ""
	}
}

// TestBlackholeEtcdIsBoundedAndNamed: README, Commands: "An unreachable etcd
// gives an error naming the endpoints after --dial-timeout (default 5 s),
// never a hang", and render "exits 3 only when etcd did not answer". The
// endpoint accepts TCP and then says nothing (the existing test uses a
// closed port, which fails at once): render and plan must still end, exit 3,
// name the endpoint, and leave dest alone.
func TestBlackholeEtcdIsBoundedAndNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out dial timeouts")
	}
	addr := blackhole(t)
	for _, cmd := range []string{"render", "plan"} {
		t.Run(cmd, func(t *testing.T) {
			d := newConfd(t)
			dest := d.classic(t, "")
			must(t, os.WriteFile(dest, []byte("last good\n"), 0o644))
			code, out, errs := cwBounded(t, d.args("http://"+addr, cmd, "--dial-timeout", "500ms")...)
			if code != exitNoEtcd {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitNoEtcd, out, errs)
			}
			contains(t, "stderr", errs, addr)
			if read(t, dest) != "last good\n" {
				t.Fatal("dest touched")
			}
		})
	}
}

// TestCAFileWithoutPEMIsExit2: README, Troubleshooting: "A CA file without a
// PEM certificate is refused at start (exit 2, naming the file)". Hostile CA
// files (a private key, garbage, empty) for every command that dials etcd,
// the agent included: exit 2 naming the file, not a retry loop or exit 3.
func TestCAFileWithoutPEMIsExit2(t *testing.T) {
	cas := map[string]string{
		"empty":       "",
		"garbage":     "not a certificate\n",
		"private key": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
	}
	for name, body := range cas {
		for _, cmd := range [][]string{{"render"}, {"plan"}, {"run"}, {"register", "--key", "/services/apache/x", "--value", "x"}} {
			t.Run(name+"/"+cmd[0], func(t *testing.T) {
				d := newConfd(t)
				d.classic(t, "")
				ca := filepath.Join(t.TempDir(), "ca.pem")
				must(t, os.WriteFile(ca, []byte(body), 0o644))
				etcd := []string{"--endpoints", "https://127.0.0.1:1", "--ca-file", ca, "--dial-timeout", "500ms"}
				args := append(cmd, etcd...)
				if cmd[0] != "register" { // register takes no confdir or state_dir
					args = append(args, d.args("")...)
				}
				code, out, errs := cwBounded(t, args...)
				if code != exitUsage {
					t.Fatalf("exit %d, want %d\n%s%s", code, exitUsage, out, errs)
				}
				contains(t, "stderr", errs, ca)
			})
		}
	}
}
