package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type fakeReload struct {
	calls int
	fail  func(call int) error
	seen  []string // dest content at each call
	dest  string
}

func (f *fakeReload) Reload(context.Context) error {
	f.calls++
	b, _ := os.ReadFile(f.dest)
	f.seen = append(f.seen, string(b))
	if f.fail != nil {
		return f.fail(f.calls)
	}
	return nil
}
func (f *fakeReload) String() string { return "fake" }

func newApplier() *Applier {
	return &Applier{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Run: Shell{}}
}

func item(dest, data, check string) Item {
	return Item{Name: filepath.Base(dest), Dest: dest, Data: []byte(data), UID: -1, GID: -1, CheckCmd: check, CheckTimeout: 5 * time.Second}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestApply(t *testing.T) {
	tests := []struct {
		name       string
		old        *string
		data       string
		check      string
		reloadFail func(int) error
		wantFile   string
		wantErr    Stage
		wantCalls  int
		wantBack   bool
	}{
		{name: "new file", data: "a\n", wantFile: "a\n", wantCalls: 1},
		{name: "unchanged is not touched", old: ptr("a\n"), data: "a\n", wantFile: "a\n", wantCalls: 0},
		{name: "changed", old: ptr("a\n"), data: "b\n", wantFile: "b\n", wantCalls: 1},
		{name: "check sees staged file", old: ptr("a\n"), data: "b\n", check: `grep -qx b {{.src}} && test {{.dest}} != {{.src}}`, wantFile: "b\n", wantCalls: 1},
		{name: "failed check leaves dest", old: ptr("a\n"), data: "bad\n", check: "exit 3", wantFile: "a\n", wantErr: StageCheck},
		{name: "failed reload rolls back", old: ptr("a\n"), data: "b\n", reloadFail: func(n int) error {
			if n == 1 {
				return errors.New("nginx said no")
			}
			return nil
		}, wantFile: "a\n", wantErr: StageReload, wantCalls: 2, wantBack: true},
		{name: "failed reload of a new file removes it", data: "b\n", reloadFail: func(int) error { return errors.New("no") },
			wantFile: "<none>", wantErr: StageReload, wantCalls: 2, wantBack: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "upstream.conf")
			if tt.old != nil {
				if err := os.WriteFile(dest, []byte(*tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := &fakeReload{fail: tt.reloadFail, dest: dest}
			o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(dest, tt.data, tt.check)}, Reload: r})
			got, err := os.ReadFile(dest)
			if err != nil {
				got = []byte("<none>")
			}
			if string(got) != tt.wantFile {
				t.Errorf("dest = %q, want %q", got, tt.wantFile)
			}
			if o.Results[0].Stage != tt.wantErr || (tt.wantErr != "") != (o.Err() != nil) {
				t.Errorf("stage %q err %v, want stage %q", o.Results[0].Stage, o.Err(), tt.wantErr)
			}
			if r.calls != tt.wantCalls || o.RolledBack != tt.wantBack {
				t.Errorf("reloads %d rolledBack %v, want %d %v", r.calls, o.RolledBack, tt.wantCalls, tt.wantBack)
			}
			if tt.wantBack && r.seen[len(r.seen)-1] != strings.ReplaceAll(tt.wantFile, "<none>", "") {
				t.Errorf("second reload saw %q", r.seen[len(r.seen)-1])
			}
			// A reload after rollback that failed too leaves the kept file,
			// saying a reload is owed, and the result unsettled.
			for _, e := range entries(t, dir) {
				if e != "upstream.conf" && !(o.Results[0].Unsettled && isKeep(dest, e)) {
					t.Errorf("stray file %s", e)
				}
			}
			if o.Results[0].Unsettled != Interrupted(dest) {
				t.Errorf("unsettled %v, but a kept file left beside dest: %v", o.Results[0].Unsettled, Interrupted(dest))
			}
		})
	}
}

func TestGroupOneReloadAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf")
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &fakeReload{dest: a}
	o := newApplier().Apply(context.Background(), Group{Name: "g", Reload: r,
		Items: []Item{item(a, "new\n", ""), item(b, "new\n", "false")}})
	if o.Err() == nil || r.calls != 0 {
		t.Fatalf("err %v, reloads %d: want a failed check and no reload", o.Err(), r.calls)
	}
	for _, f := range []string{a, b} {
		if got, _ := os.ReadFile(f); string(got) != "old\n" {
			t.Errorf("%s = %q: one failed check must keep the whole group", f, got)
		}
	}
	o = newApplier().Apply(context.Background(), Group{Name: "g", Reload: r,
		Items: []Item{item(a, "new\n", ""), item(b, "new\n", "")}})
	if o.Err() != nil || r.calls != 1 {
		t.Fatalf("err %v, reloads %d: want one reload for two files", o.Err(), r.calls)
	}
}

func TestModeAndNoReloadOnModeOnly(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	if err := os.WriteFile(dest, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	it := item(dest, "x", "")
	it.Mode = 0o600
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}})
	fi, _ := os.Stat(dest)
	if o.Err() != nil || !o.Results[0].Changed || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode change not applied: %v %v %v", o.Err(), o.Results[0].Changed, fi.Mode())
	}
}

func TestCheckTimeout(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "f")
	it := item(dest, "x", "sleep 30")
	it.CheckTimeout = 200 * time.Millisecond
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}})
	if !errors.Is(o.Err(), ErrCommand) {
		t.Fatalf("want a timed out check, got %v", o.Err())
	}
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("dest written despite failed check")
	}
}

func TestCleanEnv(t *testing.T) {
	got := CleanEnv([]string{"A=1", "NOTIFY_SOCKET=/run/x", "WATCHDOG_USEC=1", "B=2"})
	if strings.Join(got, ",") != "A=1,B=2" {
		t.Fatal(got)
	}
}

func ptr(s string) *string { return &s }

func TestDaemonizingCommandIsNotAFailure(t *testing.T) {
	start := time.Now()
	out, err := Shell{}.Run(context.Background(), "(sleep 5 &) ; echo started", 10*time.Second)
	if err != nil || !strings.Contains(string(out), "started") {
		t.Fatalf("err %v out %q", err, out)
	}
	if time.Since(start) > 4*time.Second {
		t.Fatal("waited for the background child")
	}
}

func TestCheckInPlaceSeesCandidateAndRestores(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(dest, []byte("good\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &fakeReload{dest: dest}
	it := item(dest, "bad\n", "! grep -q bad "+dest)
	it.CheckInPlace = true
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}, Reload: r})
	if o.Results[0].Stage != StageCheck || r.calls != 0 {
		t.Fatalf("stage %q reloads %d: want a failed in-place check and no reload", o.Results[0].Stage, r.calls)
	}
	if got, _ := os.ReadFile(dest); string(got) != "good\n" {
		t.Fatalf("dest = %q after a failed in-place check", got)
	}
	it = item(dest, "fine\n", "grep -q fine "+dest)
	it.CheckInPlace = true
	if o = newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}, Reload: r}); o.Err() != nil || r.calls != 1 {
		t.Fatalf("err %v reloads %d", o.Err(), r.calls)
	}
}

// TestCheckTimeCountsTheInPlaceCheck: Outcome.Check (check= in the log) is
// the time of an in-place check too, not only of the staging before it.
func TestCheckTimeCountsTheInPlaceCheck(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "site.conf")
	it := item(dest, "new\n", "sleep 0.3")
	it.CheckInPlace = true
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{it}, Reload: &fakeReload{dest: dest}})
	if o.Err() != nil || o.Check < 300*time.Millisecond {
		t.Errorf("err %v, check time %v: want at least the in-place check's 300ms", o.Err(), o.Check)
	}
}

// TestBindMountedDestIsWrittenInPlace: a single bind-mounted file cannot be
// renamed over (EBUSY); it is rewritten in place instead.
func TestBindMountedDestIsWrittenInPlace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount a file")
	}
	dir := t.TempDir()
	src, dest := filepath.Join(dir, "outside"), filepath.Join(dir, "dest.conf")
	for _, f := range []string{src, dest} {
		if err := os.WriteFile(f, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("mount", "--bind", src, dest).CombinedOutput(); err != nil {
		t.Skipf("bind mount not possible here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dest).Run() })
	o := newApplier().Apply(context.Background(), Group{Name: "g", Items: []Item{item(dest, "new\n", "")}})
	if o.Err() != nil {
		t.Fatal(o.Err())
	}
	if got, _ := os.ReadFile(src); string(got) != "new\n" {
		t.Fatalf("the bind-mounted file holds %q", got)
	}
	if es := entries(t, dir); len(es) != 2 {
		t.Fatalf("stray files: %v", es)
	}
}

// TestServiceNotRunningIsNotAFailedReload: at boot the service waits for the
// agent; its files are put in place and it reads them when it starts.
func TestServiceNotRunningIsNotAFailedReload(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "f")
	r := &fakeReload{dest: dest, fail: func(int) error { return fmt.Errorf("%w: nginx.service inactive", ErrNotRunning) }}
	var logs bytes.Buffer
	a := newApplier()
	a.Log = slog.New(slog.NewTextHandler(&logs, nil))
	o := a.Apply(context.Background(), Group{Name: "g", Items: []Item{item(dest, "x\n", "")}, Reload: r})
	if o.Err() != nil || o.RolledBack || o.Reloaded || !o.Results[0].Applied {
		t.Fatalf("err %v rolledBack %v reloaded %v", o.Err(), o.RolledBack, o.Reloaded)
	}
	if got, _ := os.ReadFile(dest); string(got) != "x\n" {
		t.Fatalf("dest %q", got)
	}
	// The normal boot case: one info line, saying "not running" once.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=INFO") || strings.Count(lines[0], "not running") != 1 {
		t.Errorf("logged %q, want one info line saying \"not running\" once", logs.String())
	}
}
