package apply

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gone reports whether pid has exited: no such process, or a zombie
// waiting for init to reap it.
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

// waitGone waits until every pid listed in file p has exited.
func waitGone(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("the check never wrote its pids: %v", err)
	}
	for _, s := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; !gone(pid); i++ {
			if i == 400 {
				_ = killPid(pid)
				t.Fatalf("pid %d of the timed-out check still runs", pid)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
}

func killPid(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// TestCheckTimeoutKillsTheWholeGroup: README, check_cmd_timeout: "the check
// is killed (its whole process group) after this". The hostile check
// ignores SIGTERM, forks a background sleeper and a subshell pipeline, and
// never ends. It runs in place (no {{.src}}), so dest holds the candidate
// while it runs. After the timeout: a timed-out ErrCommand, every process
// of the check gone, and dest back to the previous file with nothing staged
// beside it.
func TestCheckTimeoutKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(dest, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pids := filepath.Join(t.TempDir(), "pids")
	check := "trap '' TERM; sleep 300 & echo $! >> " + pids + "; (sleep 300 | cat) & echo $! >> " + pids +
		"; echo $$ >> " + pids + "; grep -qx new " + dest + " && while :; do sleep 0.05; done"
	it := item(dest, "new\n", check)
	it.CheckInPlace = true
	it.CheckTimeout = 300 * time.Millisecond
	done := make(chan Outcome, 1)
	go func() { done <- newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}}) }()
	var o Outcome
	select {
	case o = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Apply still running 30s after a 300ms check timeout")
	}
	if err := o.Err(); !errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timed-out check, got %v", err)
	}
	waitGone(t, pids)
	if got, _ := os.ReadFile(dest); string(got) != "old\n" {
		t.Errorf("dest = %q after a timed-out in-place check, want the previous file", got)
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Errorf("left beside dest: %v", es)
	}
}
