package apply

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary run TestHelperApplyInPlace's apply.
const helperEnv = "CONFWATCH_TEST_APPLY_DEST"

// TestHelperApplyInPlace is not a test: run by TestKillDuringInPlaceCheck as
// a child process, it applies "bad" to the dest in helperEnv with an in-place
// check that writes its pid to dest.pid and blocks.
func TestHelperApplyInPlace(t *testing.T) {
	dest := os.Getenv(helperEnv)
	if dest == "" {
		t.Skip("helper process only")
	}
	it := item(dest, "bad\n", "echo $$ > "+dest+".pid; exec sleep 600")
	it.CheckInPlace = true
	newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}})
}

// TestKillDuringInPlaceCheck: a process killed with SIGKILL while an
// in-place check runs leaves the unchecked candidate at dest, and the
// previous file beside it; Recover (at the next start) puts the previous
// file back. Before, the previous file was only in memory and was lost.
func TestKillDuringInPlaceCheck(t *testing.T) {
	for _, existed := range []bool{true, false} {
		t.Run("existed="+strconv.FormatBool(existed), func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "site.conf")
			if existed {
				if err := os.WriteFile(dest, []byte("good\n"), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			child := exec.Command(os.Args[0], "-test.run=^TestHelperApplyInPlace$", "-test.count=1")
			child.Env = append(os.Environ(), helperEnv+"="+dest)
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- child.Wait() }()
			checkPID := waitPID(t, dest+".pid", done)
			if got, _ := os.ReadFile(dest); string(got) != "bad\n" {
				t.Fatalf("mid-check dest = %q, want the candidate", got)
			}
			_ = child.Process.Kill() // SIGKILL: no deferred cleanup runs
			<-done
			_ = syscall.Kill(checkPID, syscall.SIGKILL)
			if err := os.Remove(dest + ".pid"); err != nil {
				t.Fatal(err)
			}

			restored, err := Recover(dest)
			if err != nil || !restored {
				t.Fatalf("Recover = %v, %v", restored, err)
			}
			got, err := os.ReadFile(dest)
			switch {
			case existed && (err != nil || string(got) != "good\n"):
				t.Fatalf("after Recover dest = %q, %v; want the previous file", got, err)
			case !existed && !os.IsNotExist(err):
				t.Fatalf("after Recover dest = %q, %v; want none (there was none before)", got, err)
			}
			if existed {
				if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o640 {
					t.Errorf("restored mode %o", fi.Mode().Perm())
				}
			}
			if es := entries(t, dir); len(es) > 1 {
				t.Fatalf("left beside dest: %v", es)
			}
		})
	}
}

// waitPID waits until the check has written its pid to file (the child is
// then mid-check), failing if the child exits first.
func waitPID(t *testing.T, file string, done <-chan error) int {
	t.Helper()
	for {
		if b, err := os.ReadFile(file); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		select {
		case err := <-done:
			t.Fatalf("helper exited before the check ran: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
