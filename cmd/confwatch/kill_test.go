package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/testetcd"
)

// killRig is one resource whose reload_cmd logs each run to log, fails when
// dest holds a 10.0.0.66 backend, and first blocks (its pid in pid) while
// the file block exists: the test knows exactly where the agent is when it kills it.
type killRig struct {
	d                   *confd
	dest, log, pid, blk string
	bin                 string
}

func newKillRig(t *testing.T) *killRig {
	d := newConfd(t)
	k := &killRig{d: d, log: filepath.Join(d.dir, "reload.log"), pid: filepath.Join(d.dir, "reload.pid"),
		blk: filepath.Join(d.dir, "block"), bin: buildConfwatch(t)}
	reload := "echo $$ > " + k.pid + "; while [ -e " + k.blk + " ]; do sleep 0.05; done; " +
		"if grep -q 10.0.0.66 {{.dest}}; then echo fail >> " + k.log + "; exit 1; fi; echo ok >> " + k.log
	k.dest = d.classic(t, "reload_cmd = \""+reload+"\"\n")
	return k
}

// start runs the built binary as `confwatch run` against endpoint.
func (k *killRig) start(t *testing.T, endpoint string) *exec.Cmd {
	t.Helper()
	return startRun(t, k.bin, k.d, endpoint)
}

// startRun runs bin as `confwatch run` on d against endpoint, with no
// notify socket; the process is killed with the test.
func startRun(t *testing.T, bin string, d *confd, endpoint string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run"}, d.args(endpoint)...)...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// waitPIDFile waits until a blocked command has written its pid to path
// (a whole line), failing with what when it never does.
func waitPIDFile(t *testing.T, path, what string) {
	t.Helper()
	for i := 0; i < 800; i++ {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal(what)
}

// waitReloads waits until the reload log has n lines and returns them.
func (k *killRig) waitReloads(t *testing.T, n int) []string {
	t.Helper()
	for i := 0; i < 800; i++ {
		if ls := strings.Fields(read(t, k.log)); read(t, k.log) != "<missing>" && len(ls) >= n {
			return ls
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("reload log never had %d lines: %q", n, read(t, k.log))
	return nil
}

// blockNextReload makes the next reload block and returns a function that
// waits until it is blocked (the agent swapped and is in the reload).
func (k *killRig) blockNextReload(t *testing.T) func() {
	must(t, os.WriteFile(k.blk, nil, 0o644))
	_ = os.Remove(k.pid)
	return func() {
		t.Helper()
		waitPIDFile(t, k.pid, "the reload never started")
	}
}

// killReload SIGKILLs the blocked reload's process group (the agent's kill
// leaves it running) and unblocks later reloads.
func (k *killRig) killReload(t *testing.T) {
	b, err := os.ReadFile(k.pid)
	must(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	must(t, err)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	must(t, os.Remove(k.blk))
}

// TestApplyCutShortByAKillIsRedone: the agent SIGKILLed between the swap
// and the end of the reload; the next start finds the bytes already at dest
// but redoes the apply: reloaded, dest the render of etcd, nothing left.
func TestApplyCutShortByAKillIsRedone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	k := newKillRig(t)
	agent := k.start(t, srv.Endpoint)
	k.waitReloads(t, 1)

	blocked := k.blockNextReload(t)
	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	blocked()
	must(t, agent.Process.Kill())
	_ = agent.Wait()
	k.killReload(t)
	if got := read(t, k.dest); !strings.Contains(got, "10.0.0.2:80") {
		t.Fatalf("mid-reload dest = %q, want the swapped candidate", got)
	}

	k.start(t, srv.Endpoint)
	if ls := k.waitReloads(t, 2); ls[1] != "ok" {
		t.Fatalf("reloads after restart: %v", ls)
	}
	got := read(t, k.dest)
	if !strings.Contains(got, "10.0.0.1:80") || !strings.Contains(got, "10.0.0.2:80") {
		t.Fatalf("dest = %q, want both backends", got)
	}
	// The reload command's log line comes before the agent has seen it end
	// and dropped the kept file: wait for the apply to end, not for longer.
	if es := settled(k.d.out, 10*time.Second); len(es) != 1 {
		t.Fatalf("left in %s: %v", k.d.out, es)
	}
}

// settled lists dir once it holds one entry, or as it is after within (a
// hang guard, not a timing assertion).
func settled(dir string, within time.Duration) []os.DirEntry {
	for end := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		es, _ := os.ReadDir(dir)
		if len(es) == 1 || time.Now().After(end) {
			return es
		}
	}
}

// TestFailedReloadAfterAKillIsRolledBackToThePreviousFile: the agent
// SIGKILLed between the swap of a bad file and its reload; at the next start
// the redone reload fails, and the rollback must bring back the file that was
// in place before the cut-short apply (the last one reloaded), not the bad
// candidate the kill left at dest.
func TestFailedReloadAfterAKillIsRolledBackToThePreviousFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	k := newKillRig(t)
	agent := k.start(t, srv.Endpoint)
	k.waitReloads(t, 1)
	good := read(t, k.dest)

	blocked := k.blockNextReload(t)
	srv.Put(t, "/services/apache/b", "10.0.0.66:80")
	blocked()
	must(t, agent.Process.Kill())
	_ = agent.Wait()
	k.killReload(t)

	k.start(t, srv.Endpoint)
	// fail (the redone reload), then the reload after the rollback.
	if ls := k.waitReloads(t, 3); ls[1] != "fail" {
		t.Fatalf("reloads after restart: %v", ls)
	}
	k.waitReloads(t, 3)
	// The agent retries the bad render with backoff, swapping it in for each
	// failing reload and back out: read dest between two retries (a rollback
	// to the bad candidate would never show the good file).
	got := read(t, k.dest)
	for end := time.Now().Add(10 * time.Second); got != good && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		got = read(t, k.dest)
	}
	if got != good {
		t.Fatalf("after the failed reload dest = %q, want the previous good file %q", got, good)
	}
}

// TestSIGTERMFinishesTheRunningApply: SIGTERM while the reload of an apply
// is running: the agent says STOPPING=1 but does not exit until the reload
// has ended, then exits 0 with the apply reloaded; the next start follows
// etcd from there.
func TestSIGTERMFinishesTheRunningApply(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	k := newKillRig(t)
	notify := listenNotify(t)
	agent := exec.Command(k.bin, append([]string{"run"}, k.d.args(srv.Endpoint)...)...)
	agent.Stdout, agent.Stderr = os.Stderr, os.Stderr // NOTIFY_SOCKET from listenNotify
	must(t, agent.Start())
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	t.Cleanup(func() { _ = agent.Process.Kill(); <-exited })
	expect(t, notify, "READY=1", has("READY=1"))
	k.waitReloads(t, 1)

	blocked := k.blockNextReload(t)
	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	blocked()
	must(t, agent.Process.Signal(syscall.SIGTERM))
	expect(t, notify, "STOPPING=1", has("STOPPING=1"))
	select {
	case err := <-exited:
		t.Fatalf("the agent exited (%v) while its reload was still running", err)
	default:
	}
	must(t, os.Remove(k.blk))
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not exit after its reload ended")
	}
	exited <- nil // for the cleanup
	if ls := k.waitReloads(t, 2); len(ls) != 2 || ls[1] != "ok" {
		t.Fatalf("reloads: %v", ls)
	}

	k.start(t, srv.Endpoint)
	srv.Put(t, "/services/apache/marker", "10.0.0.9:80")
	waitFile(t, k.dest, "10.0.0.9:80")
	got := read(t, k.dest)
	if !strings.Contains(got, "10.0.0.2:80") || !strings.Contains(got, "10.0.0.9:80") {
		t.Fatalf("dest = %q", got)
	}
}

// TestKillDuringTheStagedCheckLeavesDestAlone: the agent SIGKILLed while
// check_cmd runs on the staged candidate: dest keeps the last good file
// (never the unchecked candidate, never partial), and the next start sweeps
// the staged file, checks again and applies.
func TestKillDuringTheStagedCheckLeavesDestAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := testetcd.Start(t)
	srv.Put(t, "/services/apache/a", "10.0.0.1:80")
	d := newConfd(t)
	pid, blk, bin := filepath.Join(d.dir, "check.pid"), filepath.Join(d.dir, "block"), buildConfwatch(t)
	check := "echo $$ > " + pid + "; while [ -e " + blk + " ]; do sleep 0.05; done; true {{.src}}"
	dest := d.classic(t, "check_cmd = \""+check+"\"\n")
	agent := startRun(t, bin, d, srv.Endpoint)
	waitFile(t, dest, "10.0.0.1:80")
	good := read(t, dest)

	must(t, os.WriteFile(blk, nil, 0o644))
	_ = os.Remove(pid)
	srv.Put(t, "/services/apache/b", "10.0.0.2:80")
	waitPIDFile(t, pid, "the check never started")
	must(t, agent.Process.Kill())
	_ = agent.Wait()
	if b, err := os.ReadFile(pid); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(-p, syscall.SIGKILL)
		}
	}
	if got := read(t, dest); got != good {
		t.Fatalf("dest after a kill during the check = %q, want the last good file", got)
	}

	must(t, os.Remove(blk))
	startRun(t, bin, d, srv.Endpoint)
	waitFile(t, dest, "10.0.0.2:80")
	if es, _ := os.ReadDir(d.out); len(es) != 1 {
		t.Fatalf("left in %s: %v", d.out, es)
	}
}
