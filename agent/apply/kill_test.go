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
	items := []Item{item(dest+".other", "other-new\n", "true"), it}
	newApplier().Apply(context.Background(), Group{Name: "g", Items: items, Reload: &fakeReload{dest: dest}})
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
// beside it. Recover leaves both (dest does not step back to an older state
// after a restart), and the next apply, of the same bytes or of newer ones,
// reloads: on success nothing is left beside dest, on failure dest is rolled
// back to the previous file (the last one the service accepted), never left
// at the candidate.
func TestKillDuringReload(t *testing.T) {
	for _, tc := range []struct {
		name           string
		inPlace, fails bool
		next           string
	}{
		{"staged", false, false, "new\n"},
		{"staged-then-newer", false, false, "newer\n"},
		{"staged-reload-fails", false, true, "new\n"},
		{"in-place", true, false, "new\n"},
		{"in-place-reload-fails", true, true, "newer\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "site.conf")
			if err := os.WriteFile(dest, []byte("good\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			child := exec.Command(os.Args[0], "-test.run=^TestHelperApplyReload$", "-test.count=1")
			child.Env = append(os.Environ(), helperReloadEnv+"="+dest, helperInPlaceEnv+"="+map[bool]string{true: "1"}[tc.inPlace])
			killMidCommand(t, child, dest+".pid")

			rec, err := Recover([]string{dest})
			if err != nil || len(rec.Restored) != 0 || len(rec.Pending) != 1 {
				t.Fatalf("Recover = %+v, %v; want dest pending, not restored", rec, err)
			}
			if got, _ := os.ReadFile(dest); string(got) != "new\n" {
				t.Fatalf("after Recover dest = %q, want the checked candidate still", got)
			}
			if !Interrupted(dest) {
				t.Fatal("Interrupted = false after Recover; the next apply would not reload")
			}
			it := item(dest, tc.next, "true")
			it.CheckInPlace, it.Unsettled = tc.inPlace, true // as the engine sets it after Recover
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
			if !o.Results[0].Changed || len(rel.seen) == 0 || rel.seen[0] != tc.next {
				t.Fatalf("the apply was not finished: changed=%v, reloads saw %q", o.Results[0].Changed, rel.seen)
			}
			want := tc.next
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
			if Interrupted(dest) {
				t.Fatal("still interrupted after the apply finished")
			}
		})
	}
}

// TestKillDuringInPlaceCheck: a process killed with SIGKILL while an
// in-place check runs leaves the unchecked candidate at dest, and the
// previous file beside it; Recover (at the next start) puts the previous
// file back, and that of the other item of the group too, whose own check
// had passed: the two candidates were never checked together. Before, the
// previous file was only in memory and was lost.
func TestKillDuringInPlaceCheck(t *testing.T) {
	for _, existed := range []bool{true, false} {
		t.Run("existed="+strconv.FormatBool(existed), func(t *testing.T) {
			dir := t.TempDir()
			dest, other := filepath.Join(dir, "site.conf"), filepath.Join(dir, "site.conf.other")
			if existed {
				for _, f := range []string{dest, other} {
					if err := os.WriteFile(f, []byte("good\n"), 0o640); err != nil {
						t.Fatal(err)
					}
				}
			}
			child := exec.Command(os.Args[0], "-test.run=^TestHelperApplyInPlace$", "-test.count=1")
			child.Env = append(os.Environ(), helperEnv+"="+dest)
			killMidCommand(t, child, dest+".pid", func() {
				if got, _ := os.ReadFile(dest); string(got) != "bad\n" {
					t.Errorf("mid-check dest = %q, want the candidate", got)
				}
				if got, _ := os.ReadFile(other); string(got) != "other-new\n" {
					t.Errorf("mid-check other = %q, want its candidate", got)
				}
			})

			rec, err := Recover([]string{other, dest})
			if err != nil || len(rec.Restored) != 2 || len(rec.Pending) != 0 {
				t.Fatalf("Recover = %+v, %v; want both restored", rec, err)
			}
			for _, f := range []string{dest, other} {
				got, err := os.ReadFile(f)
				switch {
				case existed && (err != nil || string(got) != "good\n"):
					t.Fatalf("after Recover %s = %q, %v; want the previous file", f, got, err)
				case !existed && !os.IsNotExist(err):
					t.Fatalf("after Recover %s = %q, %v; want none (there was none before)", f, got, err)
				}
				if existed {
					if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o640 {
						t.Errorf("restored mode %o", fi.Mode().Perm())
					}
				}
			}
			if es := entries(t, dir); existed && len(es) > 2 || !existed && len(es) > 0 {
				t.Fatalf("left beside dest: %v", es)
			}
		})
	}
}

// killMidCommand starts child, waits until the command it runs has written
// its pid to pidFile, runs then (checks mid-command), and kills both with
// SIGKILL, so no deferred cleanup runs.
func killMidCommand(t *testing.T, child *exec.Cmd, pidFile string, then ...func()) {
	t.Helper()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	pid := waitPID(t, pidFile, done)
	for _, f := range then {
		f()
	}
	_ = child.Process.Kill()
	<-done
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if err := os.Remove(pidFile); err != nil {
		t.Fatal(err)
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
