package apply

import (
	"context"
	"errors"
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

// helperReloadEnv makes the test binary run TestHelperApplyReload's apply;
// helperInPlaceEnv says whether its check runs in place.
const (
	helperReloadEnv  = "CONFWATCH_TEST_APPLY_RELOAD_DEST"
	helperInPlaceEnv = "CONFWATCH_TEST_APPLY_IN_PLACE"
)

// TestHelperApplyReload is not a test: run by TestKillDuringReload as a
// child process, it applies "new" to the dest in helperReloadEnv with a
// check that passes and a reload that writes its pid to dest.pid and blocks.
func TestHelperApplyReload(t *testing.T) {
	dest := os.Getenv(helperReloadEnv)
	if dest == "" {
		t.Skip("helper process only")
	}
	it := item(dest, "new\n", "true")
	it.CheckInPlace = os.Getenv(helperInPlaceEnv) == "1"
	a := newApplier()
	rel := &CmdReloader{Cmd: "echo $$ > " + dest + ".pid; exec sleep 600", Dest: dest, Timeout: time.Hour, Run: a.Run}
	a.Apply(context.Background(), Group{Name: "g", Items: []Item{it}, Reload: rel})
}

// TestKillDuringReload: a process killed with SIGKILL while the reload of a
// checked candidate runs leaves the candidate at dest and the previous file
// beside it; Recover puts the previous file (the last one reloaded) back,
// and the next apply of the same bytes swaps, checks and reloads again: on
// success nothing is left beside dest, on failure dest is rolled back to
// that previous file, never left at the candidate. (For a moment after the
// restart dest is one state behind what the killed agent swapped in: the
// history checker's one accepted backwards step, see docs/RELIABILITY.md.)
func TestKillDuringReload(t *testing.T) {
	for _, tc := range []struct {
		name           string
		inPlace, fails bool
	}{{"staged", false, false}, {"staged-reload-fails", false, true}, {"in-place", true, false}, {"in-place-reload-fails", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "site.conf")
			if err := os.WriteFile(dest, []byte("good\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			child := exec.Command(os.Args[0], "-test.run=^TestHelperApplyReload$", "-test.count=1")
			child.Env = append(os.Environ(), helperReloadEnv+"="+dest, helperInPlaceEnv+"="+map[bool]string{true: "1"}[tc.inPlace])
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- child.Wait() }()
			reloadPID := waitPID(t, dest+".pid", done)
			_ = child.Process.Kill() // SIGKILL: no deferred cleanup runs
			<-done
			_ = syscall.Kill(reloadPID, syscall.SIGKILL)
			if err := os.Remove(dest + ".pid"); err != nil {
				t.Fatal(err)
			}

			restored, err := Recover(dest)
			if err != nil || !restored {
				t.Fatalf("Recover = %v, %v; want the previous file restored", restored, err)
			}
			if got, _ := os.ReadFile(dest); string(got) != "good\n" {
				t.Fatalf("after Recover dest = %q, want the previous file", got)
			}
			it := item(dest, "new\n", "true")
			it.CheckInPlace = tc.inPlace
			rel := &fakeReload{dest: dest}
			if tc.fails {
				rel.fail = func(call int) error {
					if call == 1 {
						return errors.New("reload refused")
					}
					return nil
				}
			}
			o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}, Reload: rel})
			if !o.Results[0].Changed || len(rel.seen) == 0 || rel.seen[0] != "new\n" {
				t.Fatalf("the apply was not redone: changed=%v, reloads saw %q", o.Results[0].Changed, rel.seen)
			}
			want := "new\n"
			if tc.fails {
				want = "good\n"
				if !o.RolledBack {
					t.Fatalf("failed reload not rolled back: %+v", o)
				}
			} else if err := o.Err(); err != nil {
				t.Fatalf("apply: %v", err)
			}
			if got, _ := os.ReadFile(dest); string(got) != want {
				t.Fatalf("dest = %q, want %q", got, want)
			}
			if fi, _ := os.Stat(dest); tc.fails && fi.Mode().Perm() != 0o640 {
				t.Errorf("rolled-back mode %o", fi.Mode().Perm())
			}
			if es := entries(t, dir); len(es) > 1 {
				t.Fatalf("left beside dest: %v", es)
			}
		})
	}
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
